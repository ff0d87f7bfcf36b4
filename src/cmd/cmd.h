/* Subcommands of the coracle binary; each parses its own flags and returns a process exit code. */
#pragma once

int cmd_server(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_agent_shim(int argc, char **argv); /* the per-container monitor (src/agent/runtime/shim.h) */
int cmd_killall(int argc, char **argv);
int cmd_uninstall(int argc, char **argv);
/* killall.c, for killall and uninstall: their flags (--data-dir, default /var/lib/coracle, and --runc);
 * -1 to go on with *ret_* set, else the exit status (help, printed with `help`, 0; a bad flag 2). */
int cmd_node_flags(int argc, char **argv, const char *help, const char **ret_data_dir, const char **ret_runc);
/* Stops every container data_dir's agent started and prints how many: 0, or 1 (a message naming
 * `coracle CMD` on stderr) when the runtime cannot be set up. */
int cmd_stop_containers(const char *cmd, const char *data_dir, const char *runc);
int cmd_sim_nodes(int argc, char **argv);
int cmd_scheduler(int argc, char **argv);
/* --cleanup-on-exit (nodeclean.c): stops DATA_DIR's pods and removes the node's pod network, the sysctls
 * restored; logs what it did. 0, or -1 when a part failed. */
int cmd_node_cleanup(const char *data_dir, const char *runc);
/* Parses a Go-style duration ("300ms", "5s", "10m", "1h30m", or plain seconds); -EINVAL if malformed. */
int parse_duration_sec(const char *s, double *ret);
