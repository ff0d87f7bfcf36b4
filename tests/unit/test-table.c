/* Unit tests for server-side printing (src/api/table*.c): the column definitions kubectl receives for each
 * resource and the exact cells for representative objects, checked against what Kubernetes v1.32's
 * printers produce for the same objects. A last group feeds every printer objects with fields of the wrong
 * JSON type to make sure user input can never crash the server or shift kubectl's columns. JSON literals
 * use single quotes for readability; they are turned into double quotes before parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/table-internal.h"
#include "api/table.h"
#include "base/util.h"

/* Every timestamp below is relative to this instant. */
#define NOW_RFC3339 "2024-06-01T12:00:00Z"

static int64_t now_unix(void) {
  int64_t t = 0;
  assert_int_equal(parse_rfc3339(NOW_RFC3339, &t), 0);
  return t;
}

static json_t *parse_sq(const char *sq) {
  char *s = xstrdup(sq);
  for (char *p = s; *p; p++)
    if (*p == '\'')
      *p = '"';
  json_error_t e;
  json_t *j = json_loads(s, JSON_DECODE_ANY, &e);
  if (!j)
    fail_msg("bad test JSON at %d: %s\n%s", e.position, e.text, s);
  free(s);
  return j;
}

/* ---------------------------------------------------------------- columns */

/* Renders columns as "Name:type:format:priority|..." so a whole definition is one readable string. */
static char *column_spec(json_t *cols) {
  Buf b = BUF_INIT;
  size_t i;
  json_t *c;
  json_array_foreach(cols, i, c) {
    assert_int_equal(json_object_size(c), 5);
    assert_true(json_is_string(json_object_get(c, "description")));
    if (i)
      buf_putc(&b, '|');
    buf_printf(&b, "%s:%s:%s:%lld", json_string_value(json_object_get(c, "name")),
               json_string_value(json_object_get(c, "type")), json_string_value(json_object_get(c, "format")),
               (long long)json_integer_value(json_object_get(c, "priority")));
  }
  return buf_steal(&b, NULL);
}

static void check_columns(const char *group, const char *resource, const char *expected) {
  json_t *cols = table_columns(group, resource);
  char *spec = column_spec(cols);
  if (!streq(spec, expected))
    fail_msg("%s/%s columns\n  got:  %s\n  want: %s", group, resource, spec, expected);
  free(spec);
  json_decref(cols);
}

static void test_columns(void **state) {
  (void)state;
  check_columns("", "pods",
                "Name:string:name:0|Ready:string::0|Status:string::0|Restarts:string::0|Age:string::0|"
                "IP:string::1|Node:string::1|Nominated Node:string::1|Readiness Gates:string::1");
  check_columns("apps", "deployments",
                "Name:string:name:0|Ready:string::0|Up-to-date:string::0|Available:string::0|Age:string::0|"
                "Containers:string::1|Images:string::1|Selector:string::1");
  check_columns("", "services",
                "Name:string:name:0|Type:string::0|Cluster-IP:string::0|External-IP:string::0|"
                "Port(s):string::0|Age:string::0|Selector:string::1");
  check_columns("", "events",
                "Last Seen:string::0|Type:string::0|Reason:string::0|Object:string::0|Subobject:string::1|"
                "Source:string::1|Message:string::0|First Seen:string::1|Count:string::1|Name:string:name:1");
  check_columns("events.k8s.io", "events",
                "Last Seen:string::0|Type:string::0|Reason:string::0|Object:string::0|Subobject:string::1|"
                "Source:string::1|Message:string::0|First Seen:string::1|Count:string::1|Name:string:name:1");
  check_columns("", "nodes",
                "Name:string:name:0|Status:string::0|Roles:string::0|Age:string::0|Version:string::0|"
                "Internal-IP:string::1|External-IP:string::1|OS-Image:string::1|Kernel-Version:string::1|"
                "Container-Runtime:string::1");
  check_columns("batch", "jobs",
                "Name:string:name:0|Status:string::0|Completions:string::0|Duration:string::0|Age:string::0|"
                "Containers:string::1|Images:string::1|Selector:string::1");
  check_columns("batch", "cronjobs",
                "Name:string:name:0|Schedule:string::0|Timezone:string::0|Suspend:boolean::0|"
                "Active:integer::0|Last Schedule:string::0|Age:string::0|Containers:string::1|"
                "Images:string::1|Selector:string::1");
  check_columns("", "persistentvolumeclaims",
                "Name:string:name:0|Status:string::0|Volume:string::0|Capacity:string::0|"
                "Access Modes:string::0|StorageClass:string::0|VolumeAttributesClass:string::0|"
                "Age:string::0|VolumeMode:string::1");
  check_columns("autoscaling", "horizontalpodautoscalers",
                "Name:string:name:0|Reference:string::0|Targets:string::0|MinPods:string::0|"
                "MaxPods:string::0|Replicas:string::0|Age:string::0");
  check_columns("", "configmaps", "Name:string:name:0|Data:string::0|Age:string::0");
  check_columns("", "secrets", "Name:string:name:0|Type:string::0|Data:string::0|Age:string::0");
  check_columns("", "namespaces", "Name:string:name:0|Status:string::0|Age:string::0");
  check_columns("apps", "replicasets",
                "Name:string:name:0|Desired:integer::0|Current:integer::0|Ready:integer::0|Age:string::0|"
                "Containers:string::1|Images:string::1|Selector:string::1");
  check_columns("apps", "statefulsets",
                "Name:string:name:0|Ready:string::0|Age:string::0|Containers:string::1|Images:string::1");
  check_columns("apps", "daemonsets",
                "Name:string:name:0|Desired:integer::0|Current:integer::0|Ready:integer::0|"
                "Up-to-date:integer::0|Available:integer::0|Node Selector:string::0|Age:string::0|"
                "Containers:string::1|Images:string::1|Selector:string::1");
  check_columns("rbac.authorization.k8s.io", "rolebindings",
                "Name:string:name:0|Role:string::0|Age:string::0|Users:string::1|Groups:string::1|"
                "ServiceAccounts:string::1");
  check_columns("scheduling.k8s.io", "priorityclasses",
                "Name:string:name:0|Value:integer::0|Global-Default:boolean::0|Age:string::0|"
                "PreemptionPolicy:string::0");
  /* No printer in Kubernetes: the apiserver's default table. */
  check_columns("rbac.authorization.k8s.io", "roles", "Name:string:name:0|Created At:date::0");
  check_columns("rbac.authorization.k8s.io", "clusterroles", "Name:string:name:0|Created At:date::0");
  check_columns("example.com", "widgets", "Name:string:name:0|Created At:date::0");
  /* Same resource name in another group must not pick up the core printer. */
  check_columns("example.com", "pods", "Name:string:name:0|Created At:date::0");
}

/* ---------------------------------------------------------------- cells */

typedef struct CellCase {
  const char *what;
  const char *group, *resource;
  const char *object; /* single-quoted JSON */
  const char *cells;  /* single-quoted JSON array */
} CellCase;

static const CellCase cell_cases[] = {
    /* ---- pods */
    {"running pod with restarts", "", "pods",
     "{'metadata':{'name':'web-1','creationTimestamp':'2024-06-01T10:00:00Z'},"
     " 'spec':{'nodeName':'node-a','containers':[{'name':'app'},{'name':'log'}]},"
     " 'status':{'phase':'Running','podIP':'10.42.0.5','podIPs':[{'ip':'10.42.0.5'},{'ip':'fd00::5'}],"
     "  'conditions':[{'type':'Ready','status':'True'}],"
     "  'containerStatuses':["
     "   {'name':'app','ready':true,'restartCount':3,'state':{'running':{}},"
     "    'lastState':{'terminated':{'exitCode':1,'finishedAt':'2024-06-01T11:58:00Z'}}},"
     "   {'name':'log','ready':true,'restartCount':0,'state':{'running':{}}}]}}",
     "['web-1','2/2','Running','3 (2m ago)','120m','10.42.0.5','node-a','<none>','<none>']"},
    {"pending unscheduled pod", "", "pods",
     "{'metadata':{'name':'pending','creationTimestamp':'2024-06-01T11:59:30Z'},"
     " 'spec':{'containers':[{'name':'a'}]},"
     " 'status':{'phase':'Pending','conditions':[{'type':'PodScheduled','status':'False','reason':'"
     "Unschedulable'}]}}",
     "['pending','0/1','Pending','0','30s','<none>','<none>','<none>','<none>']"},
    {"creating pod", "", "pods",
     "{'metadata':{'name':'c','creationTimestamp':'2024-06-01T11:59:50Z'},"
     " 'spec':{'nodeName':'n1','containers':[{'name':'a'}]},"
     " 'status':{'phase':'Pending','containerStatuses':[{'name':'a','state':{'waiting':{'reason':'"
     "ContainerCreating'}}}]}}",
     "['c','0/1','ContainerCreating','0','10s','<none>','n1','<none>','<none>']"},
    {"scheduling-gated pod", "", "pods",
     "{'metadata':{'name':'g'},'spec':{'containers':[{'name':'a'}]},"
     " 'status':{'phase':'Pending','conditions':[{'type':'PodScheduled','status':'False','reason':'"
     "SchedulingGated'}]}}",
     "['g','0/1','SchedulingGated','0','<unknown>','<none>','<none>','<none>','<none>']"},
    {"terminating pod", "", "pods",
     "{'metadata':{'name':'t','creationTimestamp':'2024-06-01T11:00:00Z','deletionTimestamp':'2024-06-01T11:"
     "59:00Z'},"
     " 'spec':{'containers':[{'name':'a'}]},"
     " 'status':{'phase':'Running','containerStatuses':[{'name':'a','ready':true,'state':{'running':{}}}]}}",
     "['t','1/1','Terminating','0','60m','<none>','<none>','<none>','<none>']"},
    {"pod on a lost node", "", "pods",
     "{'metadata':{'name':'l','deletionTimestamp':'2024-06-01T11:59:00Z'},'spec':{'containers':[{'name':'a'}]"
     "},"
     " 'status':{'phase':'Running','reason':'NodeLost'}}",
     "['l','0/1','Unknown','0','<unknown>','<none>','<none>','<none>','<none>']"},
    {"completed pod being deleted keeps its status", "", "pods",
     "{'metadata':{'name':'done','deletionTimestamp':'2024-06-01T11:59:00Z'},'spec':{'containers':[{'name':'"
     "a'}]},"
     " 'status':{'phase':'Succeeded','containerStatuses':[{'name':'a','state':{'terminated':{'exitCode':0,'"
     "reason':'Completed'}}}]}}",
     "['done','0/1','Completed','0','<unknown>','<none>','<none>','<none>','<none>']"},
    {"pod waiting on its second init container", "", "pods",
     "{'metadata':{'name':'i','creationTimestamp':'2024-06-01T11:59:00Z'},"
     " 'spec':{'initContainers':[{'name':'i1'},{'name':'i2'}],'containers':[{'name':'a'}]},"
     " 'status':{'phase':'Pending','conditions':[{'type':'Initialized','status':'False'}],"
     "  'initContainerStatuses':[{'name':'i1','state':{'terminated':{'exitCode':0,'reason':'Completed'}}},"
     "                           {'name':'i2','state':{'running':{}}}],"
     "  'containerStatuses':[{'name':'a','state':{'waiting':{'reason':'PodInitializing'}}}]}}",
     "['i','0/1','Init:1/2','0','60s','<none>','<none>','<none>','<none>']"},
    {"init container crash looping", "", "pods",
     "{'metadata':{'name':'ic'},'spec':{'initContainers':[{'name':'i1'}],'containers':[{'name':'a'}]},"
     " 'status':{'phase':'Pending',"
     "  "
     "'initContainerStatuses':[{'name':'i1','restartCount':4,'state':{'waiting':{'reason':'CrashLoopBackOff'}"
     "},"
     "    'lastState':{'terminated':{'exitCode':1,'finishedAt':'2024-06-01T11:55:00Z'}}}]}}",
     "['ic','0/1','Init:CrashLoopBackOff','4 (5m ago)','<unknown>','<none>','<none>','<none>','<none>']"},
    {"init container failed", "", "pods",
     "{'metadata':{'name':'ie'},'spec':{'initContainers':[{'name':'i1'}],'containers':[{'name':'a'}]},"
     " 'status':{'phase':'Failed','initContainerStatuses':[{'name':'i1','state':{'terminated':{'exitCode':2,'"
     "reason':'Error'}}}]}}",
     "['ie','0/1','Init:Error','0','<unknown>','<none>','<none>','<none>','<none>']"},
    {"init container killed by a signal", "", "pods",
     "{'metadata':{'name':'is'},'spec':{'initContainers':[{'name':'i1'}],'containers':[{'name':'a'}]},"
     " 'status':{'initContainerStatuses':[{'name':'i1','state':{'terminated':{'exitCode':137,'signal':9}}}]}"
     "}",
     "['is','0/1','Init:Signal:9','0','<unknown>','<none>','<none>','<none>','<none>']"},
    {"sidecar counts as a container", "", "pods",
     "{'metadata':{'name':'sc'},"
     " 'spec':{'initContainers':[{'name':'proxy','restartPolicy':'Always'}],'containers':[{'name':'a'}]},"
     " 'status':{'phase':'Running','conditions':[{'type':'Initialized','status':'True'},{'type':'Ready','"
     "status':'True'}],"
     "  "
     "'initContainerStatuses':[{'name':'proxy','started':true,'ready':true,'restartCount':1,'state':{'"
     "running':{}}}],"
     "  'containerStatuses':[{'name':'a','ready':true,'restartCount':2,'state':{'running':{}}}]}}",
     "['sc','2/2','Running','3','<unknown>','<none>','<none>','<none>','<none>']"},
    {"crash looping pod", "", "pods",
     "{'metadata':{'name':'crash','creationTimestamp':'2024-06-01T11:30:00Z'},"
     " 'spec':{'containers':[{'name':'a'}]},"
     " 'status':{'phase':'Running','containerStatuses':[{'name':'a','ready':false,'restartCount':5,"
     "  'state':{'waiting':{'reason':'CrashLoopBackOff','message':'back-off 2m40s'}},"
     "  'lastState':{'terminated':{'exitCode':1,'reason':'Error','finishedAt':'2024-06-01T11:59:00Z'}}}]}}",
     "['crash','0/1','CrashLoopBackOff','5 (60s ago)','30m','<none>','<none>','<none>','<none>']"},
    {"image pull error", "", "pods",
     "{'metadata':{'name':'e'},'spec':{'containers':[{'name':'a'}]},"
     " 'status':{'phase':'Pending','containerStatuses':[{'name':'a','state':{'waiting':{'reason':'"
     "ErrImagePull'}}}]}}",
     "['e','0/1','ErrImagePull','0','<unknown>','<none>','<none>','<none>','<none>']"},
    {"OOM-killed container", "", "pods",
     "{'metadata':{'name':'o'},'spec':{'containers':[{'name':'a'}]},"
     " 'status':{'phase':'Running','containerStatuses':[{'name':'a','state':{'terminated':{'exitCode':137,'"
     "reason':'OOMKilled'}}}]}}",
     "['o','0/1','OOMKilled','0','<unknown>','<none>','<none>','<none>','<none>']"},
    {"terminated without a reason", "", "pods",
     "{'metadata':{'name':'x'},'spec':{'containers':[{'name':'a'},{'name':'b'}]},"
     " 'status':{'phase':'Failed','containerStatuses':["
     "  "
     "{'name':'a','state':{'terminated':{'exitCode':3}}},{'name':'b','state':{'terminated':{'exitCode':0,'"
     "signal':15}}}]}}",
     "['x','0/2','ExitCode:3','0','<unknown>','<none>','<none>','<none>','<none>']"},
    {"completed container next to a running one", "", "pods",
     "{'metadata':{'name':'m'},'spec':{'containers':[{'name':'a'},{'name':'b'}]},"
     " 'status':{'phase':'Running','conditions':[{'type':'Ready','status':'False'}],'containerStatuses':["
     "  {'name':'a','state':{'terminated':{'exitCode':0,'reason':'Completed'}}},"
     "  {'name':'b','ready':true,'state':{'running':{}}}]}}",
     "['m','1/2','NotReady','0','<unknown>','<none>','<none>','<none>','<none>']"},
    {"readiness gates and nominated node", "", "pods",
     "{'metadata':{'name':'rg'},'spec':{'containers':[],'readinessGates':[{'conditionType':'a'},{'"
     "conditionType':'b'}]},"
     " 'status':{'phase':'Pending','nominatedNodeName':'n2','podIP':'10.0.0.9',"
     "  'conditions':[{'type':'a','status':'True'},{'type':'b','status':'False'}]}}",
     "['rg','0/0','Pending','0','<unknown>','10.0.0.9','<none>','n2','1/2']"},

    /* ---- services */
    {"load balancer without ingress", "", "services",
     "{'metadata':{'name':'lb','creationTimestamp':'2024-05-31T12:00:00Z'},"
     " 'spec':{'type':'LoadBalancer','clusterIP':'10.43.0.10','clusterIPs':['10.43.0.10'],"
     "  "
     "'ports':[{'port':80,'nodePort':30080,'protocol':'TCP'},{'port':443,'nodePort':30443,'protocol':'TCP'}],"
     "  'selector':{'app':'web'}},'status':{'loadBalancer':{}}}",
     "['lb','LoadBalancer','10.43.0.10','<pending>','80:30080/TCP,443:30443/TCP','24h','app=web']"},
    {"load balancer with ingress", "", "services",
     "{'metadata':{'name':'lb2','creationTimestamp':'2024-05-30T12:00:00Z'},"
     " 'spec':{'type':'LoadBalancer','clusterIPs':['10.43.0.11'],'ports':[{'port':53,'nodePort':31053,'"
     "protocol':'UDP'}],"
     "  'externalIPs':['203.0.113.7']},"
     " 'status':{'loadBalancer':{'ingress':[{'ip':'192.168.1.20'},{'hostname':'lb.example.com'},{'ip':'192."
     "168.1.10'},"
     "  {'ip':'192.168.1.20'}]}}}",
     "['lb2','LoadBalancer','10.43.0.11','192.168.1.10,192.168.1.20,lb.example.com,203.0.113.7','53:31053/"
     "UDP','2d',"
     "'<none>']"},
    {"node port service", "", "services",
     "{'metadata':{'name':'np','creationTimestamp':'2024-06-01T11:58:00Z'},"
     " 'spec':{'type':'NodePort','clusterIP':'10.43.0.12','clusterIPs':['10.43.0.12'],"
     "  'ports':[{'port':80,'targetPort':8080,'nodePort':30080}],'selector':{'tier':'fe','app':'web'}}}",
     "['np','NodePort','10.43.0.12','<none>','80:30080/TCP','2m','app=web,tier=fe']"},
    {"headless service", "", "services",
     "{'metadata':{'name':'db','creationTimestamp':'2024-06-01T11:00:00Z'},"
     " 'spec':{'type':'ClusterIP','clusterIP':'None','clusterIPs':['None'],'selector':{'app':'db'}}}",
     "['db','ClusterIP','None','<none>','<none>','60m','app=db']"},
    {"external name service", "", "services",
     "{'metadata':{'name':'ext'},'spec':{'type':'ExternalName','externalName':'example.com',"
     " 'ports':[{'port':443,'protocol':'TCP'}]}}",
     "['ext','ExternalName','<none>','example.com','443/TCP','<unknown>','<none>']"},

    /* ---- apps */
    {"deployment", "apps", "deployments",
     "{'metadata':{'name':'web','creationTimestamp':'2024-05-29T12:00:00Z'},"
     " 'spec':{'replicas':3,'selector':{'matchLabels':{'app':'web'},'matchExpressions':["
     "   {'key':'tier','operator':'In','values':['fe','be']},{'key':'canary','operator':'DoesNotExist'}]},"
     "  "
     "'template':{'spec':{'containers':[{'name':'nginx','image':'nginx:1.25'},{'name':'log','image':'busybox'"
     "}]}}},"
     " 'status':{'replicas':3,'readyReplicas':2,'updatedReplicas':3,'availableReplicas':2}}",
     "['web','2/3',3,2,'3d','nginx,log','nginx:1.25,busybox','app=web,!canary,tier in (be,fe)']"},
    {"deployment without status or selector", "apps", "deployments",
     "{'metadata':{'name':'new','creationTimestamp':'2024-06-01T11:59:59Z'},'spec':{}}",
     "['new','0/1',0,0,'1s','','','']"},
    {"deployment with an invalid selector", "apps", "deployments",
     "{'metadata':{'name':'bad'},'spec':{'replicas':0,'selector':{'matchExpressions':[{'key':'a','operator':'"
     "In'}]}}}",
     "['bad','0/0',0,0,'<unknown>','','','<invalid>']"},
    {"replica set", "apps", "replicasets",
     "{'metadata':{'name':'web-5d4f','creationTimestamp':'2024-06-01T11:00:00Z'},"
     " 'spec':{'replicas':2,'selector':{'matchLabels':{'app':'web','pod-template-hash':'5d4f'}},"
     "  'template':{'spec':{'containers':[{'name':'nginx','image':'nginx'}]}}},"
     " 'status':{'replicas':2,'readyReplicas':1}}",
     "['web-5d4f',2,2,1,'60m','nginx','nginx','app=web,pod-template-hash=5d4f']"},
    {"stateful set", "apps", "statefulsets",
     "{'metadata':{'name':'db','creationTimestamp':'2024-06-01T11:00:00Z'},"
     " 'spec':{'replicas':3,'template':{'spec':{'containers':[{'name':'pg','image':'postgres:16'}]}}},"
     " 'status':{'readyReplicas':3}}",
     "['db','3/3','60m','pg','postgres:16']"},
    {"daemon set", "apps", "daemonsets",
     "{'metadata':{'name':'agent','creationTimestamp':'2024-06-01T11:00:00Z'},"
     " 'spec':{'selector':{'matchLabels':{'app':'agent'}},'template':{'spec':{'nodeSelector':{'kubernetes.io/"
     "os':'linux'},"
     "  'containers':[{'name':'a','image':'agent:1'}]}}},"
     " 'status':{'desiredNumberScheduled':3,'currentNumberScheduled':3,'numberReady':2,'"
     "updatedNumberScheduled':3,"
     "  'numberAvailable':2}}",
     "['agent',3,3,2,3,2,'kubernetes.io/os=linux','60m','a','agent:1','app=agent']"},
    {"controller revision", "apps", "controllerrevisions",
     "{'metadata':{'name':'db-7c9','creationTimestamp':'2024-06-01T11:00:00Z','ownerReferences':["
     "  {'apiVersion':'apps/v1','kind':'StatefulSet','name':'db','controller':true}]},'revision':2}",
     "['db-7c9','statefulset.apps/db',2,'60m']"},

    /* ---- batch */
    {"completed job", "batch", "jobs",
     "{'metadata':{'name':'pi','creationTimestamp':'2024-06-01T11:00:00Z'},"
     " 'spec':{'completions':1,'parallelism':1,'selector':{'matchLabels':{'batch.kubernetes.io/"
     "controller-uid':'abc'}},"
     "  'template':{'spec':{'containers':[{'name':'pi','image':'perl:5.34'}]}}},"
     " 'status':{'succeeded':1,'startTime':'2024-06-01T11:00:00Z','completionTime':'2024-06-01T11:00:42Z',"
     "  'conditions':[{'type':'SuccessCriteriaMet','status':'True'},{'type':'Complete','status':'True'}]}}",
     "['pi','Complete','1/1','42s','60m','pi','perl:5.34','batch.kubernetes.io/controller-uid=abc']"},
    {"running parallel job", "batch", "jobs",
     "{'metadata':{'name':'work','creationTimestamp':'2024-06-01T11:50:00Z'},'spec':{'parallelism':3},"
     " 'status':{'active':3,'startTime':'2024-06-01T11:50:00Z'}}",
     "['work','Running','0/1 of 3','10m','10m','','','<none>']"},
    {"failed job", "batch", "jobs",
     "{'metadata':{'name':'f'},'spec':{'completions':2},"
     " 'status':{'succeeded':1,'conditions':[{'type':'Complete','status':'False'},{'type':'Failed','status':'"
     "True'}]}}",
     "['f','Failed','1/2','','<unknown>','','','<none>']"},
    {"cron job", "batch", "cronjobs",
     "{'metadata':{'name':'backup','creationTimestamp':'2024-05-25T12:00:00Z'},"
     " 'spec':{'schedule':'*/5 * * * *','suspend':false,"
     "  'jobTemplate':{'spec':{'template':{'spec':{'containers':[{'name':'c','image':'busybox'}]}}}}},"
     " 'status':{'active':[{'name':'backup-1'}],'lastScheduleTime':'2024-06-01T11:55:00Z'}}",
     "['backup','*/5 * * * *','<none>','False',1,'5m','7d','c','busybox','<none>']"},
    {"cron job with a time zone, never run", "batch", "cronjobs",
     "{'metadata':{'name':'tz'},'spec':{'schedule':'@daily','timeZone':'Europe/Paris'}}",
     "['tz','@daily','Europe/Paris','<unset>',0,'<none>','<unknown>','','','<none>']"},

    /* ---- autoscaling */
    {"hpa v2 with current metrics", "autoscaling", "horizontalpodautoscalers",
     "{'metadata':{'name':'web','creationTimestamp':'2024-06-01T11:00:00Z'},"
     " 'spec':{'scaleTargetRef':{'apiVersion':'apps/"
     "v1','kind':'Deployment','name':'web'},'minReplicas':1,'maxReplicas':10,"
     "  "
     "'metrics':[{'type':'Resource','resource':{'name':'cpu','target':{'type':'Utilization','"
     "averageUtilization':50}}}]},"
     " 'status':{'currentReplicas':3,'desiredReplicas':3,"
     "  "
     "'currentMetrics':[{'type':'Resource','resource':{'name':'cpu','current':{'averageUtilization':23,'"
     "averageValue':'230m'}}}]}}",
     "['web','Deployment/web','cpu: 23%/50%','1',10,3,'60m']"},
    {"hpa v2 without current metrics", "autoscaling", "horizontalpodautoscalers",
     "{'metadata':{'name':'web'},'spec':{'scaleTargetRef':{'kind':'Deployment','name':'web'},'maxReplicas':5,"
     "  "
     "'metrics':[{'type':'Resource','resource':{'name':'cpu','target':{'type':'Utilization','"
     "averageUtilization':50}}}]},"
     " 'status':{}}",
     "['web','Deployment/web','cpu: <unknown>/50%','<unset>',5,0,'<unknown>']"},
    {"hpa v2 with three metrics", "autoscaling", "horizontalpodautoscalers",
     "{'metadata':{'name':'m'},'spec':{'scaleTargetRef':{'kind':'StatefulSet','name':'db'},'minReplicas':2,'"
     "maxReplicas':4,"
     "  "
     "'metrics':[{'type':'Resource','resource':{'name':'memory','target':{'type':'AverageValue','"
     "averageValue':'500Mi'}}},"
     "   "
     "{'type':'Pods','pods':{'metric':{'name':'rps'},'target':{'type':'AverageValue','averageValue':'10'}}},"
     "   {'type':'External','external':{'metric':{'name':'q'},'target':{'type':'Value','value':'100'}}}]},"
     " 'status':{'currentReplicas':2,'currentMetrics':[{'type':'Resource','resource':{'name':'memory',"
     "  'current':{'averageValue':'300Mi'}}}]}}",
     "['m','StatefulSet/db','memory: 300Mi/500Mi, <unknown>/10 + 1 more...','2',4,2,'<unknown>']"},
    {"hpa v1 shape", "autoscaling", "horizontalpodautoscalers",
     "{'metadata':{'name':'v1'},'spec':{'scaleTargetRef':{'kind':'Deployment','name':'web'},'minReplicas':1,"
     "  'maxReplicas':3,'targetCPUUtilizationPercentage':80},'status':{'currentReplicas':1,"
     "  'currentCPUUtilizationPercentage':12}}",
     "['v1','Deployment/web','cpu: 12%/80%','1',3,1,'<unknown>']"},
    {"hpa without metrics", "autoscaling", "horizontalpodautoscalers",
     "{'metadata':{'name':'none'},'spec':{'scaleTargetRef':{'kind':'Deployment','name':'web'},'maxReplicas':"
     "3}}",
     "['none','Deployment/web','<none>','<unset>',3,0,'<unknown>']"},

    /* ---- nodes */
    {"ready cordoned node", "", "nodes",
     "{'metadata':{'name':'node-a','creationTimestamp':'2024-04-01T00:00:00Z','labels':{"
     "   "
     "'node-role.kubernetes.io/control-plane':'','node-role.kubernetes.io/master':'','kubernetes.io/"
     "role':'worker',"
     "   'node-role.kubernetes.io/':'x','kubernetes.io/hostname':'node-a'}},"
     " 'spec':{'unschedulable':true},"
     " 'status':{'conditions':[{'type':'MemoryPressure','status':'False'},{'type':'Ready','status':'True'}],"
     "  'addresses':[{'type':'Hostname','address':'node-a'},{'type':'InternalIP','address':'192.168.1.10'}],"
     "  'nodeInfo':{'kubeletVersion':'v1.32.0','osImage':'Debian GNU/Linux 12 "
     "(bookworm)','kernelVersion':'6.1.0-18-amd64',"
     "   'containerRuntimeVersion':'coracle://0.1.0'}}}",
     "['node-a','Ready,SchedulingDisabled','control-plane,master,worker','61d','v1.32.0','192.168.1.10','<"
     "none>',"
     "'Debian GNU/Linux 12 (bookworm)','6.1.0-18-amd64','coracle://0.1.0']"},
    {"node with unknown readiness", "", "nodes",
     "{'metadata':{'name':'n2'},'status':{'conditions':[{'type':'Ready','status':'Unknown'}],"
     " 'addresses':[{'type':'ExternalIP','address':'203.0.113.9'}]}}",
     "['n2','NotReady','<none>','<unknown>','','<none>','203.0.113.9','<unknown>','<unknown>','<unknown>']"},
    {"node without conditions", "", "nodes", "{'metadata':{'name':'n3'}}",
     "['n3','Unknown','<none>','<unknown>','','<none>','<none>','<unknown>','<unknown>','<unknown>']"},

    /* ---- events */
    {"core event", "", "events",
     "{'metadata':{'name':'web-1.17a2b','creationTimestamp':'2024-06-01T11:00:00Z'},"
     " 'involvedObject':{'kind':'Pod','namespace':'default','name':'web-1','fieldPath':'spec.containers{app}'"
     "},"
     " 'reason':'BackOff','message':'Back-off restarting failed container\\n','type':'Warning',"
     " 'source':{'component':'kubelet','host':'node-a'},'firstTimestamp':'2024-06-01T11:00:00Z',"
     " 'lastTimestamp':'2024-06-01T11:55:00Z','count':12}",
     "['5m','Warning','BackOff','pod/web-1','spec.containers{app}','kubelet, node-a',"
     "'Back-off restarting failed container','60m',12,'web-1.17a2b']"},
    {"core event written by the new API", "", "events",
     "{'metadata':{'name':'p.1'},'involvedObject':{'kind':'Pod','name':'p'},'reason':'Scheduled','message':'"
     "ok',"
     " 'type':'Normal','eventTime':'2024-06-01T11:50:00.000000Z','reportingController':'coracle-scheduler',"
     " 'reportingInstance':'coracle-scheduler-node-a','series':{'count':4,'lastObservedTime':'2024-06-01T11:"
     "59:00.000000Z'}}",
     "['60s','Normal','Scheduled','pod/p','','coracle-scheduler, "
     "coracle-scheduler-node-a','ok','10m',4,'p.1']"},
    {"singleton event without timestamps", "", "events",
     "{'metadata':{'name':'e'},'involvedObject':{'kind':'Namespace'},'type':'Normal','reason':'X'}",
     "['<unknown>','Normal','X','namespace','','','','<unknown>',1,'e']"},
    {"events.k8s.io event", "events.k8s.io", "events",
     "{'metadata':{'name':'n1.1'},'regarding':{'kind':'Node','name':'n1'},'note':'  rebooted "
     "','reason':'Rebooted',"
     " 'type':'Warning','deprecatedSource':{'component':'kubelet'},'deprecatedFirstTimestamp':'2024-06-01T10:"
     "00:00Z',"
     " 'deprecatedLastTimestamp':'2024-06-01T11:00:00Z','deprecatedCount':2}",
     "['60m','Warning','Rebooted','node/n1','','kubelet','rebooted','120m',2,'n1.1']"},

    /* ---- config and identity */
    {"config map", "", "configmaps",
     "{'metadata':{'name':'cfg','creationTimestamp':'2024-06-01T11:59:00Z'},'data':{'a':'1','b':'2'},'"
     "binaryData':{'c':'AA=='}}",
     "['cfg',3,'60s']"},
    {"secret", "", "secrets",
     "{'metadata':{'name':'tls','creationTimestamp':'2024-06-01T11:00:00Z'},'type':'kubernetes.io/tls',"
     " 'data':{'tls.crt':'AA==','tls.key':'AA=='}}",
     "['tls','kubernetes.io/tls',2,'60m']"},
    {"secret with stringData", "", "secrets",
     "{'metadata':{'name':'s'},'data':{'a':'AA=='},'stringData':{'a':'x','b':'y'}}",
     "['s','Opaque',2,'<unknown>']"},
    {"namespace", "", "namespaces",
     "{'metadata':{'name':'default','creationTimestamp':'2024-06-01T11:00:00Z'},'status':{'phase':'Active'}}",
     "['default','Active','60m']"},
    {"service account", "", "serviceaccounts", "{'metadata':{'name':'default'},'secrets':[{'name':'x'}]}",
     "['default',1,'<unknown>']"},
    {"endpoints", "", "endpoints",
     "{'metadata':{'name':'web'},'subsets':[{'addresses':[{'ip':'10.0.0.1'},{'ip':'fd00::2'}],"
     " 'ports':[{'name':'http','port':80},{'name':'https','port':443}]}]}",
     "['web','10.0.0.1:80,[fd00::2]:80,10.0.0.1:443 + 1 more...','<unknown>']"},
    {"endpoints without subsets", "", "endpoints", "{'metadata':{'name':'none'}}",
     "['none','<none>','<unknown>']"},

    /* ---- storage */
    {"bound claim", "", "persistentvolumeclaims",
     "{'metadata':{'name':'data','creationTimestamp':'2024-06-01T11:00:00Z'},"
     " 'spec':{'accessModes':['ReadWriteOnce'],'resources':{'requests':{'storage':'1Gi'}},'storageClassName':"
     "'local-path',"
     "  'volumeName':'pvc-123','volumeMode':'Filesystem'},"
     " 'status':{'phase':'Bound','accessModes':['ReadWriteMany','ReadWriteOnce','ReadWriteOnce'],'capacity':{"
     "'storage':'2Gi'}}}",
     "['data','Bound','pvc-123','2Gi','RWO,RWX','local-path','<unset>','60m','Filesystem']"},
    {"pending claim with the beta class annotation", "", "persistentvolumeclaims",
     "{'metadata':{'name':'p','annotations':{'volume.beta.kubernetes.io/storage-class':'slow'}},"
     " 'spec':{'storageClassName':'fast','volumeAttributesClassName':'gold'},'status':{'phase':'Pending'}}",
     "['p','Pending','','','','slow','gold','<unknown>','<unset>']"},
    {"terminating volume", "", "persistentvolumes",
     "{'metadata':{'name':'pv1','deletionTimestamp':'2024-06-01T11:00:00Z'},"
     " 'spec':{'capacity':{'storage':'5Gi'},'accessModes':['ReadWriteOncePod','ReadOnlyMany'],"
     "  'persistentVolumeReclaimPolicy':'Retain','claimRef':{'namespace':'default','name':'data'},"
     "  'storageClassName':'local','volumeMode':'Block'},'status':{'phase':'Released'}}",
     "['pv1','5Gi','ROX,RWOP','Retain','Terminating','default/"
     "data','local','<unset>','','<unknown>','Block']"},
    {"default storage class", "storage.k8s.io", "storageclasses",
     "{'metadata':{'name':'local-path','annotations':{'storageclass.kubernetes.io/is-default-class':'true'}},"
     " 'provisioner':'coracle.io/local-path','volumeBindingMode':'WaitForFirstConsumer'}",
     "['local-path (default)','coracle.io/local-path','Delete','WaitForFirstConsumer',false,'<unknown>']"},

    /* ---- networking, rbac, others */
    {"ingress", "networking.k8s.io", "ingresses",
     "{'metadata':{'name':'web'},'spec':{'ingressClassName':'traefik','tls':[{'hosts':['a.example']}],"
     " 'rules':[{'host':'a.example'},{},{'host':'b.example'},{'host':'c.example'},{'host':'d.example'}]},"
     " 'status':{'loadBalancer':{'ingress':[{'ip':'192.168.1.10'}]}}}",
     "['web','traefik','a.example,b.example,c.example + 2 more...','192.168.1.10','80, 443','<unknown>']"},
    {"ingress without hosts", "networking.k8s.io", "ingresses", "{'metadata':{'name':'any'},'spec':{}}",
     "['any','<none>','*','','80','<unknown>']"},
    {"network policy", "networking.k8s.io", "networkpolicies",
     "{'metadata':{'name':'deny'},'spec':{'podSelector':{}}}", "['deny','<none>','<unknown>']"},
    {"endpoint slice", "discovery.k8s.io", "endpointslices",
     "{'metadata':{'name':'web-abc'},'addressType':'IPv4','ports':[{'name':'http','port':80},{'name':'dns'}],"
     " 'endpoints':[{'addresses':['10.0.0.1']},{'addresses':['10.0.0.2','10.0.0.3','10.0.0.4']}]}",
     "['web-abc','IPv4','80,dns','10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...','<unknown>']"},
    {"empty endpoint slice", "discovery.k8s.io", "endpointslices",
     "{'metadata':{'name':'e'},'addressType':'IPv6'}", "['e','IPv6','<unset>','<unset>','<unknown>']"},
    {"lease", "coordination.k8s.io", "leases",
     "{'metadata':{'name':'node-a'},'spec':{'holderIdentity':'node-a'}}", "['node-a','node-a','<unknown>']"},
    {"role binding", "rbac.authorization.k8s.io", "rolebindings",
     "{'metadata':{'name':'rb'},'roleRef':{'kind':'ClusterRole','name':'view'},'subjects':["
     " {'kind':'User','name':'alice'},{'kind':'ServiceAccount','namespace':'ci','name':'deployer'},"
     " {'kind':'Group','name':'devs'},{'kind':'User','name':'bob'}]}",
     "['rb','ClusterRole/view','<unknown>','alice, bob','devs','ci/deployer']"},
    {"role uses the default table", "rbac.authorization.k8s.io", "roles",
     "{'metadata':{'name':'admin','creationTimestamp':'2024-06-01T10:00:00+02:00'}}",
     "['admin','2024-06-01T08:00:00Z']"},
    {"default table without a timestamp", "example.com", "widgets", "{'metadata':{'name':'w'}}",
     "['w','0001-01-01T00:00:00Z']"},
    {"pod disruption budget", "policy", "poddisruptionbudgets",
     "{'metadata':{'name':'pdb'},'spec':{'minAvailable':'50%'},'status':{'disruptionsAllowed':1}}",
     "['pdb','50%','N/A',1,'<unknown>']"},
    {"priority class", "scheduling.k8s.io", "priorityclasses",
     "{'metadata':{'name':'high'},'value':1000000,'globalDefault':true,'preemptionPolicy':'Never'}",
     "['high',1000000,true,'<unknown>','Never']"},
    {"ingress class", "networking.k8s.io", "ingressclasses",
     "{'metadata':{'name':'traefik'},'spec':{'controller':'traefik.io/ingress-controller',"
     " 'parameters':{'apiGroup':'k8s.example.com','kind':'IngressParameters','name':'p'}}}",
     "['traefik','traefik.io/ingress-controller','IngressParameters.k8s.example.com/p','<unknown>']"},
};

static void test_cells(void **state) {
  (void)state;
  int64_t now = now_unix();
  int failures = 0;
  for (size_t i = 0; i < ELEMENTSOF(cell_cases); i++) {
    const CellCase *c = &cell_cases[i];
    json_t *obj = parse_sq(c->object);
    json_t *want = parse_sq(c->cells);
    json_t *got = table_cells(c->group, c->resource, obj, now);
    json_t *cols = table_columns(c->group, c->resource);
    assert_int_equal(json_array_size(got), json_array_size(cols));
    if (!json_equal(got, want)) {
      char *g = json_dumps(got, JSON_COMPACT), *w = json_dumps(want, JSON_COMPACT);
      print_error("%s (%s/%s)\n  got:  %s\n  want: %s\n", c->what, c->group, c->resource, g, w);
      free(g);
      free(w);
      failures++;
    }
    json_decref(cols);
    json_decref(got);
    json_decref(want);
    json_decref(obj);
  }
  assert_int_equal(failures, 0);
}

static void test_future_timestamp(void **state) {
  (void)state;
  int64_t now = now_unix();
  /* A clock one second behind is "0s"; further behind is Kubernetes' "<invalid>". */
  json_t *near = parse_sq("{'metadata':{'name':'a','creationTimestamp':'2024-06-01T12:00:01Z'}}");
  json_t *far = parse_sq("{'metadata':{'name':'b','creationTimestamp':'2024-06-01T12:05:00Z'}}");
  json_t *c1 = table_cells("", "configmaps", near, now);
  json_t *c2 = table_cells("", "configmaps", far, now);
  assert_string_equal(json_string_value(json_array_get(c1, 2)), "0s");
  assert_string_equal(json_string_value(json_array_get(c2, 2)), "<invalid>");
  json_decref(c1);
  json_decref(c2);
  json_decref(near);
  json_decref(far);
}

/* ---------------------------------------------------------------- robustness */

static size_t expected_columns(const char *group, const char *resource) {
  json_t *cols = table_columns(group, resource);
  size_t n = json_array_size(cols);
  json_decref(cols);
  return n;
}

static size_t shape_checks;

/* One well-typed cell per column. With a printer at hand its row function is also called directly, since
 * table_cells pads or trims rows and would hide a printer that miscounts. */
static void check_shape(const char *group, const char *resource, const TablePrinter *pr, json_t *obj,
                        size_t ncols) {
  json_t *cells = table_cells(group, resource, obj, now_unix());
  assert_non_null(cells);
  assert_int_equal(json_array_size(cells), ncols);
  size_t i;
  json_t *c;
  json_array_foreach(cells, i, c) assert_true(json_is_string(c) || json_is_integer(c) || json_is_boolean(c));
  json_decref(cells);
  if (pr) {
    json_t *raw = json_array();
    pr->row(obj, now_unix(), raw);
    assert_int_equal(json_array_size(raw), pr->n_columns);
    json_decref(raw);
  }
  shape_checks++;
}

static json_t *replacement(int kind) {
  switch (kind) {
  case 0:
    return json_integer(7);
  case 1:
    return json_string("x");
  case 2:
    return json_null();
  case 3:
    return json_array();
  case 4:
    return json_true();
  default:
    return json_pack("{s:[i,s]}", "k", -1, "0001-01-01T00:00:00Z");
  }
}

/* Replaces, one at a time, every node of the object tree with values of other types and checks the printer
 * still returns one well-typed cell per column. Covers the "any field may be anything" rule systematically.
 */
static void mutate_all(const char *group, const char *resource, const TablePrinter *pr, json_t *root,
                       json_t *node, size_t ncols) {
  if (json_is_object(node)) {
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(node, tmp, k, v) {
      json_t *saved = json_incref(v);
      for (int kind = 0; kind < 6; kind++) {
        json_object_set_new(node, k, replacement(kind));
        check_shape(group, resource, pr, root, ncols);
      }
      json_object_set(node, k, saved);
      mutate_all(group, resource, pr, root, saved, ncols);
      json_decref(saved);
    }
  } else if (json_is_array(node)) {
    for (size_t i = 0; i < json_array_size(node); i++) {
      json_t *saved = json_incref(json_array_get(node, i));
      for (int kind = 0; kind < 6; kind++) {
        json_array_set_new(node, i, replacement(kind));
        check_shape(group, resource, pr, root, ncols);
      }
      json_array_set(node, i, saved);
      mutate_all(group, resource, pr, root, saved, ncols);
      json_decref(saved);
    }
  }
}

/* The printer registered for a resource, to call its row function directly (NULL for the default). */
static const TablePrinter *printer_for(const char *group, const char *resource) {
  const TablePrinter *lists[] = {table_core_printers, table_workload_printers, table_misc_printers};
  size_t lens[] = {table_core_printers_len, table_workload_printers_len, table_misc_printers_len};
  for (size_t l = 0; l < ELEMENTSOF(lists); l++)
    for (size_t p = 0; p < lens[l]; p++)
      if (streq(lists[l][p].group, group) && streq(lists[l][p].resource, resource))
        return &lists[l][p];
  return NULL;
}

static void test_mutated_objects(void **state) {
  (void)state;
  for (size_t i = 0; i < ELEMENTSOF(cell_cases); i++) {
    const CellCase *c = &cell_cases[i];
    json_t *obj = parse_sq(c->object);
    mutate_all(c->group, c->resource, printer_for(c->group, c->resource), obj, obj,
               expected_columns(c->group, c->resource));
    json_decref(obj);
  }
  /* Guards against the walk silently doing nothing. */
  assert_true(shape_checks > 5000);
}

static void test_garbage_for_every_printer(void **state) {
  (void)state;
  static const char *garbage[] = {
      "null",
      "42",
      "'pod'",
      "[]",
      "{}",
      "{'metadata':5,'spec':'x','status':[]}",
      "{'metadata':{'name':7,'creationTimestamp':'yesterday','labels':[],'annotations':3,'deletionTimestamp':"
      "1},"
      " 'spec':{'containers':{},'initContainers':'x','replicas':'3','selector':{'matchLabels':[1],"
      "  'matchExpressions':{}},'ports':{},'metrics':7,'rules':'x','type':5},"
      " 'status':{'containerStatuses':[1,'a',null,{'state':7,'lastState':{'terminated':'x'}}],"
      "  'conditions':{},'podIPs':[5],'addresses':'x','loadBalancer':{'ingress':[{'ip':5}]}}}",
  };
  const TablePrinter *lists[] = {table_core_printers, table_workload_printers, table_misc_printers};
  size_t lens[] = {table_core_printers_len, table_workload_printers_len, table_misc_printers_len};
  for (size_t l = 0; l < ELEMENTSOF(lists); l++)
    for (size_t p = 0; p < lens[l]; p++) {
      const TablePrinter *pr = &lists[l][p];
      size_t ncols = expected_columns(pr->group, pr->resource);
      assert_int_equal(ncols, pr->n_columns);
      check_shape(pr->group, pr->resource, pr, NULL, ncols);
      for (size_t g = 0; g < ELEMENTSOF(garbage); g++) {
        json_t *obj = parse_sq(garbage[g]);
        check_shape(pr->group, pr->resource, pr, obj, ncols);
        mutate_all(pr->group, pr->resource, pr, obj, obj, ncols);
        json_decref(obj);
      }
    }
  /* NULL group/resource fall back to the default table. */
  check_shape(NULL, NULL, NULL, NULL, 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_columns),
      cmocka_unit_test(test_cells),
      cmocka_unit_test(test_future_timestamp),
      cmocka_unit_test(test_mutated_objects),
      cmocka_unit_test(test_garbage_for_every_printer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
