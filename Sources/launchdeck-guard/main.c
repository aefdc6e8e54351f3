// launchdeck-guard: runs one job (or one preparation step of it) so that nothing it starts outlives its attempt.
//
//   launchdeck-guard [--grace S] [--slack S] [--umask OCTAL] [--uid N --gid N [--groups G,G,...]]
//                    [--stop ARG]... -- PROGRAM [ARGS...]
//
// Standard input is one end of a socket pair whose other end only the agent holds. The agent writes lines:
//   go FENCE       start the job; FENCE is the CLOCK_BOOTTIME instant (ns) at which the guard must begin to stop it
//                  unless renewed (0: no fence)
//   lease FENCE    a renewal, sent each time the agent renews the item's lease in the store
// and the guard answers "fenced" when the fence stopped the job, and "leftovers N" when it had to end N processes
// the job left behind.
//
// The job ends, with everything it started, when the attempt ends for any reason:
// - its main process exits (a normal finish): whatever it left behind is stopped;
// - the agent asks (SIGTERM to the group: a cancel, a timeout, a drain);
// - the agent dies, even by SIGKILL: the kernel closes its end of the socket and the guard reads EOF;
// - the fence passes without a renewal: the agent is frozen, paused or cut off from its store, and the item's lease
//   could run out, after which another agent may start the item. The agent sets the fence a margin (grace + slack)
//   before the lease's end as the store counts it, so the job is gone before then (see LeaseFence.swift).
//
// "Everything it started" is every descendant, also those that left the process group or the session (setsid
// daemons): the guard is a child subreaper (PR_SET_CHILD_SUBREAPER), so orphans are re-parented to it rather than
// to init, and it walks its process tree through /proc. Stopping is SIGTERM to the tree, then SIGKILL to whatever is
// left after the grace period. A stop command (`podman rm --force NAME`, `scancel --name NAME`) given with --stop
// runs first when the stop is not a normal finish, for what lives outside the tree (a container under a daemon, a
// Slurm job); it is killed too if it has not finished by grace + slack.
//
// The job starts only once the agent says "go": the agent starts the guard while it records the item as running,
// so the two overlap, yet no job ever runs for an item the backend does not show as running. EOF before "go" (the
// item was cancelled meanwhile, or the agent died) exits 125 without starting anything.
//
// --uid/--gid/--groups run the job as another Unix user (`agent --run-as`): the job drops privileges after fork,
// before exec; the guard keeps its own, so it can always stop the job. --umask sets the job's umask (LaunchDeck's own
// processes run with 077; a job gets the umask its agent was started with). The guard exits with the job's exit
// status, or 128+signal. Written in C because it runs once per item and must start in a millisecond.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_TREE 32768
#define MAX_GROUPS 256
#define MAX_STOP_ARGS 64

static int wake_pipe[2] = {-1, -1};
static volatile sig_atomic_t terminate_requested = 0;

static void on_child(int signo) {
    (void)signo;
    int saved = errno;
    (void)!write(wake_pipe[1], "c", 1);
    errno = saved;
}

static void on_terminate(int signo) {
    (void)signo;
    int saved = errno;
    terminate_requested = 1;
    (void)!write(wake_pipe[1], "t", 1);
    errno = saved;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

static void tell_agent(const char *message) {
    (void)send(STDIN_FILENO, message, strlen(message), MSG_NOSIGNAL | MSG_DONTWAIT);
}

// ---- The process tree -------------------------------------------------------------------------------------------

static int proc_children_usable = -1;  // /proc/PID/task/TID/children exists (CONFIG_PROC_CHILDREN)

// Appends the children of `pid` (of all its threads) to `out`.
static int children_from_task_files(pid_t pid, pid_t *out, int count, int max) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *tasks = opendir(path);
    if (!tasks) return count;
    struct dirent *task;
    while ((task = readdir(tasks)) != NULL && count < max) {
        if (task->d_name[0] < '0' || task->d_name[0] > '9') continue;
        char file[96];
        snprintf(file, sizeof file, "/proc/%d/task/%s/children", (int)pid, task->d_name);
        int fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        char buffer[8192];
        ssize_t got;
        long value = -1;
        while ((got = read(fd, buffer, sizeof buffer)) > 0) {
            for (ssize_t i = 0; i < got; i++) {
                char c = buffer[i];
                if (c >= '0' && c <= '9') {
                    value = (value < 0 ? 0 : value * 10) + (c - '0');
                } else if (value >= 0) {
                    if (count < max) out[count++] = (pid_t)value;
                    value = -1;
                }
            }
        }
        if (value >= 0 && count < max) out[count++] = (pid_t)value;
        close(fd);
    }
    closedir(tasks);
    return count;
}

// Without CONFIG_PROC_CHILDREN: every process's parent from /proc/PID/stat, then the descendants of `root`.
static int tree_from_stat_files(pid_t root, pid_t skip, pid_t *out, int max) {
    static pid_t pids[MAX_TREE], parents[MAX_TREE];
    int total = 0;
    DIR *proc = opendir("/proc");
    if (!proc) return 0;
    struct dirent *entry;
    while ((entry = readdir(proc)) != NULL && total < MAX_TREE) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
        char path[64], buffer[512];
        snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t got = read(fd, buffer, sizeof buffer - 1);
        close(fd);
        if (got <= 0) continue;
        buffer[got] = 0;
        char *close_paren = strrchr(buffer, ')');  // the command name may hold spaces and parentheses
        if (!close_paren) continue;
        char state;
        int parent;
        if (sscanf(close_paren + 1, " %c %d", &state, &parent) != 2) continue;
        pids[total] = (pid_t)atoi(entry->d_name);
        parents[total] = (pid_t)parent;
        total++;
    }
    closedir(proc);
    int count = 0;
    out[count++] = root;
    for (int head = 0; head < count; head++) {
        for (int i = 0; i < total && count < max; i++) {
            if (parents[i] == out[head] && pids[i] != skip) out[count++] = pids[i];
        }
    }
    // Drop the root itself: callers want descendants.
    for (int i = 1; i < count; i++) out[i - 1] = out[i];
    return count - 1;
}

// Every descendant of this guard except `skip` and its own descendants (the stop command, which must be left to
// finish its work). Processes that fork while the walk runs are found by the next walk; callers repeat until none
// are left.
static int collect_tree(pid_t skip, pid_t *out, int max) {
    pid_t self = getpid();
    if (proc_children_usable < 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)self, (int)self);
        proc_children_usable = access(path, R_OK) == 0;
    }
    if (!proc_children_usable) return tree_from_stat_files(self, skip, out, max);
    int count = children_from_task_files(self, out, 0, max);
    for (int head = 0; head < count; head++) {
        if (out[head] == skip) {
            out[head--] = out[--count];
            continue;
        }
        count = children_from_task_files(out[head], out, count, max);
    }
    return count;
}

static pid_t signalled[MAX_TREE];
static int signalled_count = 0;

static int was_signalled(pid_t pid) {
    for (int i = 0; i < signalled_count; i++) if (signalled[i] == pid) return 1;
    return 0;
}

// SIGTERM to each process of the tree once (a second SIGTERM means "hurry" to some programs); SIGKILL to all.
// Returns how many processes the tree holds.
static int signal_tree(int signo, pid_t skip) {
    static pid_t tree[MAX_TREE];
    int count = collect_tree(skip, tree, MAX_TREE);
    for (int i = 0; i < count; i++) {
        if (signo == SIGTERM) {
            if (was_signalled(tree[i])) continue;
            if (signalled_count < MAX_TREE) signalled[signalled_count++] = tree[i];
        }
        kill(tree[i], signo);
    }
    return count;
}

// ---- The stop command -------------------------------------------------------------------------------------------

static pid_t start_stop_command(char **argv) {
    pid_t pid = fork();
    if (pid > 0) setpgid(pid, pid);  // in both, so no later signal to the guard's group can reach it first
    if (pid != 0) return pid < 0 ? 0 : pid;
    setpgid(0, 0);
    int null_fd = open("/dev/null", O_RDWR);
    if (null_fd >= 0) { dup2(null_fd, STDIN_FILENO); dup2(null_fd, STDOUT_FILENO); close(null_fd); }
    for (int signo = 1; signo < NSIG; signo++) signal(signo, SIG_DFL);
    execvp(argv[0], argv);
    fprintf(stderr, "launchdeck-guard: cannot run the stop command %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

// ---- Options ----------------------------------------------------------------------------------------------------

struct options {
    double grace, slack;
    int umask_value;  // -1: leave as inherited
    long uid, gid;    // -1: keep ours
    gid_t groups[MAX_GROUPS];
    int group_count;
    char *stop[MAX_STOP_ARGS + 1];
    int stop_count;
    char **program;
};

static int usage(void) {
    fprintf(stderr, "usage: launchdeck-guard [--grace S] [--slack S] [--umask OCTAL] [--uid N --gid N [--groups G,...]] "
                    "[--stop ARG]... -- PROGRAM [ARGS...]\n");
    return 2;
}

static int parse_options(int argc, char **argv, struct options *options) {
    memset(options, 0, sizeof *options);
    options->grace = 5;
    options->slack = 2;
    options->umask_value = -1;
    options->uid = options->gid = -1;
    int i = 1;
    for (; i < argc; i++) {
        char *flag = argv[i];
        if (strcmp(flag, "--") == 0) { i++; break; }
        if (i + 1 >= argc) return 0;
        char *value = argv[++i];
        if (strcmp(flag, "--grace") == 0) options->grace = atof(value);
        else if (strcmp(flag, "--slack") == 0) options->slack = atof(value);
        else if (strcmp(flag, "--umask") == 0) options->umask_value = (int)strtol(value, NULL, 8) & 0777;
        else if (strcmp(flag, "--uid") == 0) options->uid = strtol(value, NULL, 10);
        else if (strcmp(flag, "--gid") == 0) options->gid = strtol(value, NULL, 10);
        else if (strcmp(flag, "--groups") == 0) {
            for (char *part = strtok(value, ","); part && options->group_count < MAX_GROUPS; part = strtok(NULL, ","))
                options->groups[options->group_count++] = (gid_t)strtol(part, NULL, 10);
        } else if (strcmp(flag, "--stop") == 0) {
            if (options->stop_count >= MAX_STOP_ARGS) return 0;
            options->stop[options->stop_count++] = value;
        } else return 0;
    }
    if (i >= argc) return 0;
    if ((options->uid < 0) != (options->gid < 0)) return 0;
    if (options->grace < 0) options->grace = 0;
    if (options->slack < 0) options->slack = 0;
    options->stop[options->stop_count] = NULL;
    options->program = &argv[i];
    return 1;
}

// ---- Messages from the agent ------------------------------------------------------------------------------------

static char line_buffer[256];
static size_t line_length = 0;

// Reads what the agent wrote; returns 0 on EOF or a broken socket. Updates *fence on "go"/"lease", sets *go on "go".
static int read_agent(double *fence, int *go) {
    char chunk[256];
    ssize_t got = read(STDIN_FILENO, chunk, sizeof chunk);
    if (got == 0) return 0;
    if (got < 0) return errno == EINTR || errno == EAGAIN;
    for (ssize_t i = 0; i < got; i++) {
        if (chunk[i] != '\n') {
            if (line_length < sizeof line_buffer - 1) line_buffer[line_length++] = chunk[i];
            continue;
        }
        line_buffer[line_length] = 0;
        line_length = 0;
        char *value = NULL;
        if (strncmp(line_buffer, "go", 2) == 0 && (line_buffer[2] == 0 || line_buffer[2] == ' ')) {
            *go = 1;
            value = line_buffer + 2;
        } else if (strncmp(line_buffer, "lease ", 6) == 0) {
            value = line_buffer + 6;
        }
        if (value) {
            long long nanoseconds = strtoll(value, NULL, 10);
            *fence = nanoseconds > 0 ? (double)nanoseconds / 1e9 : 0;
        }
    }
    return 1;
}

// ---- The job ----------------------------------------------------------------------------------------------------

static void exec_job(const struct options *options, pid_t guard) {
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) { dup2(null_fd, STDIN_FILENO); close(null_fd); }
    for (int signo = 1; signo < NSIG; signo++) signal(signo, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (options->umask_value >= 0) umask((mode_t)options->umask_value);
    if (options->uid >= 0) {
        if (setgroups((size_t)options->group_count, options->groups) != 0 || setgid((gid_t)options->gid) != 0 ||
            setuid((uid_t)options->uid) != 0) {
            fprintf(stderr, "launchdeck: cannot run as uid %ld: %s\n", options->uid, strerror(errno));
            _exit(126);
        }
        if (setuid(0) == 0 && options->uid != 0) { fprintf(stderr, "launchdeck: privileges were not dropped\n"); _exit(126); }
    }
    // Should the guard itself be killed, the job goes with it (set after the credentials change, which clears it).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != guard) _exit(125);
    execvp(options->program[0], options->program);
    fprintf(stderr, "launchdeck: cannot run %s: %s\n", options->program[0], strerror(errno));
    _exit(127);
}

int main(int argc, char **argv) {
    struct options options;
    if (!parse_options(argc, argv, &options)) return usage();
    // Signals go to "the group": make sure that is our own group, never the caller's.
    if (getpgrp() != getpid() && setpgid(0, 0) != 0) { perror("launchdeck-guard: setpgid"); return 1; }
    // Orphans of the job come to us, not to init, so nothing it starts can slip out of the tree.
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) perror("launchdeck-guard: PR_SET_CHILD_SUBREAPER");

    // Before any handler is installed, so a SIGTERM while waiting simply ends the guard.
    double fence = 0;
    int go = 0;
    while (!go) {
        if (!read_agent(&fence, &go)) return 125;
    }
    // A "go" that arrives after its fence (the agent was frozen between recording the item as running and saying
    // go) starts nothing: the lease may be over and another attempt may run.
    if (fence > 0 && now_seconds() >= fence) {
        tell_agent("fenced\n");
        return 125;
    }

    if (pipe(wake_pipe) != 0) { perror("launchdeck-guard: pipe"); return 1; }
    for (int i = 0; i < 2; i++) {
        fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC);
        fcntl(wake_pipe[i], F_SETFL, O_NONBLOCK);
    }
    fcntl(STDIN_FILENO, F_SETFD, FD_CLOEXEC);

    struct sigaction action;
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = on_child;
    action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &action, NULL);
    action.sa_handler = on_terminate;
    action.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);

    pid_t guard = getpid();
    pid_t child = fork();
    if (child < 0) { perror("launchdeck-guard: fork"); return 1; }
    if (child == 0) exec_job(&options, guard);

    int child_status = 0, child_done = 0;
    int agent_open = 1;
    int stopping = 0, normal_finish = 0;
    double kill_at = 0, hard_at = 0;
    pid_t stop_pid = 0;
    int leftovers = 0;
    for (;;) {
        // Reap everything: the job, the orphans re-parented to us, the stop command.
        int status;
        pid_t done;
        int any_left = 1;
        while ((done = waitpid(-1, &status, WNOHANG)) != 0) {
            if (done < 0) {
                if (errno == EINTR) continue;
                any_left = 0;  // ECHILD: not one process of the tree is left
                break;
            }
            if (done == child) { child_status = status; child_done = 1; }
            if (done == stop_pid) stop_pid = 0;
        }
        if (child_done && !any_left) {
            if (normal_finish && leftovers > 0) {
                char message[64];
                snprintf(message, sizeof message, "leftovers %d\n", leftovers);
                tell_agent(message);
            }
            return exit_code(child_status);
        }

        double now = now_seconds();
        const char *reason = NULL;
        if (!stopping) {
            if (terminate_requested) reason = "signal";
            else if (!agent_open) reason = "agent";
            else if (fence > 0 && now >= fence) reason = "fence";
            else if (child_done) reason = "finished";
        }
        if (reason) {
            stopping = 1;
            normal_finish = strcmp(reason, "finished") == 0;
            if (strcmp(reason, "fence") == 0) tell_agent("fenced\n");
            kill_at = now + options.grace;
            hard_at = kill_at + options.slack;
            signal(SIGTERM, SIG_IGN);
            kill(0, SIGTERM);  // the group first, at once: most jobs are one group
            if (!normal_finish && options.stop_count > 0) stop_pid = start_stop_command(options.stop);
        }
        if (stopping) {
            int count = signal_tree(now >= kill_at ? SIGKILL : SIGTERM, now >= hard_at ? 0 : stop_pid);
            if (normal_finish && count > leftovers) leftovers = count;
            if (now >= hard_at && stop_pid) kill(-stop_pid, SIGKILL), kill(stop_pid, SIGKILL);
        }

        struct pollfd fds[2];
        int nfds = 0;
        fds[nfds++] = (struct pollfd){.fd = wake_pipe[0], .events = POLLIN};
        if (agent_open) fds[nfds++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
        int timeout = -1;
        if (stopping) {
            timeout = now >= kill_at ? 10 : 50;  // walk the tree again soon: new processes may have forked
        } else if (fence > 0) {
            double left = fence - now;
            timeout = left > 0 ? (int)(left * 1000) + 1 : 0;
        }
        int ready = poll(fds, nfds, timeout);
        if (ready < 0 && errno != EINTR) perror("launchdeck-guard: poll");
        if (ready > 0 && (fds[0].revents & POLLIN)) {
            char drain[64];
            while (read(wake_pipe[0], drain, sizeof drain) > 0) {}
        }
        if (ready > 0 && agent_open && nfds > 1 && fds[1].revents) {
            int ignored_go = 0;
            // The agent is gone when its end closes: nobody supervises this job any more.
            if (!read_agent(&fence, &ignored_go)) agent_open = 0;
        }
    }
}

/* SwiftPM links every executable through swiftc, whose start-up object (swiftrt.o) registers the program with the
 * Swift runtime. This program has no Swift in it: answering those calls here, with everything linked statically
 * (Package.swift), means no part of the runtime is pulled in, and the program starts without the dynamic loader:
 * each job start saves the ~2 ms that loading libswiftCore.so (and then libstdc++) cost. */
void swift_addNewDSOImage(const void *header) { (void)header; }
int _swift_backtrace_isThunkFunction(const char *name) { (void)name; return 0; }
