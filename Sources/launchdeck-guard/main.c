// launchdeck-guard: runs one job so that it can never outlive its agent unsupervised.
//
//   launchdeck-guard GRACE_SECONDS PROGRAM [ARGS...]
//
// Standard input is one end of a socket pair whose other end only the agent holds. When the agent dies,
// for any reason including SIGKILL, the kernel closes that end and the guard reads EOF: it then stops the
// job's whole process group (SIGTERM, then SIGKILL after the grace period). The agent starts the guard as
// the leader of a new process group, so the job and everything it starts share that group.
//
// The job starts only once the agent writes one byte ("go") to it: the agent starts the guard while it
// records the item as running, so the two overlap, yet no job ever runs for an item the backend does not show as
// running. EOF before "go" (the item was cancelled meanwhile, or the agent died) exits 125 without starting anything.
//
// SIGTERM to the group (a cancel) reaches the job directly; the guard then escalates to SIGKILL after
// the grace period if the job is still running. The guard exits with the job's exit status, or 128+signal.
// Written in C because it runs once per item and must start in a millisecond.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

// Stops the rest of the group (the job's leftover children) without stopping the guard first.
static void stop_group(int signo) {
    signal(SIGTERM, SIG_IGN);
    kill(0, signo);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: launchdeck-guard GRACE_SECONDS PROGRAM [ARGS...]\n");
        return 2;
    }
    // Signals go to "the group": make sure that is our own group, never the caller's.
    if (getpgrp() != getpid() && setpgid(0, 0) != 0) { perror("launchdeck-guard: setpgid"); return 1; }
    double grace = atof(argv[1]);
    if (grace < 0) grace = 0;

    // Before any handler is installed, so a SIGTERM while waiting simply ends the guard.
    char go;
    ssize_t got;
    do { got = read(STDIN_FILENO, &go, 1); } while (got < 0 && errno == EINTR);
    if (got != 1) return 125;

    if (pipe(wake_pipe) != 0) { perror("launchdeck-guard: pipe"); return 1; }
    fcntl(wake_pipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(wake_pipe[1], F_SETFD, FD_CLOEXEC);
    fcntl(wake_pipe[0], F_SETFL, O_NONBLOCK);
    fcntl(wake_pipe[1], F_SETFL, O_NONBLOCK);

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

    pid_t child = fork();
    if (child < 0) { perror("launchdeck-guard: fork"); return 1; }
    if (child == 0) {
        int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0) { dup2(null_fd, STDIN_FILENO); close(null_fd); }
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        execvp(argv[2], &argv[2]);
        fprintf(stderr, "launchdeck: cannot run %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }

    double kill_at = 0;  // when the job must be killed, once a stop began
    int agent_open = 1;
    for (;;) {
        int status;
        pid_t done = waitpid(child, &status, WNOHANG);
        if (done == child) {
            stop_group(SIGTERM);  // leftovers the job started in the background end with it
            return exit_code(status);
        }
        if (terminate_requested && kill_at == 0) kill_at = now_seconds() + grace;
        if (kill_at != 0 && now_seconds() >= kill_at) {
            stop_group(SIGKILL);
            kill(child, SIGKILL);
        }

        struct pollfd fds[2];
        int count = 0;
        fds[count++] = (struct pollfd){.fd = wake_pipe[0], .events = POLLIN};
        if (agent_open) fds[count++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
        int timeout = -1;
        if (kill_at != 0) {
            double left = kill_at - now_seconds();
            timeout = left > 0 ? (int)(left * 1000) + 1 : 0;
        }
        int ready = poll(fds, count, timeout);
        if (ready < 0 && errno != EINTR) { perror("launchdeck-guard: poll"); }
        if (ready > 0 && (fds[0].revents & POLLIN)) {
            char drain[64];
            while (read(wake_pipe[0], drain, sizeof drain) > 0) {}
        }
        if (ready > 0 && agent_open && count > 1 && fds[1].revents) {
            char buffer[64];
            ssize_t got = read(STDIN_FILENO, buffer, sizeof buffer);
            if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
                // The agent is gone: nobody supervises this job any more.
                agent_open = 0;
                stop_group(SIGTERM);
                if (kill_at == 0) kill_at = now_seconds() + grace;
            }
        }
    }
}

/* SwiftPM links every executable through swiftc, whose start-up object (swiftrt.o) registers the program with the
 * Swift runtime. This program has no Swift in it: answering those calls here, with everything linked statically
 * (Package.swift), means no part of the runtime is pulled in, and the program starts without the dynamic loader:
 * each job start saves the ~2 ms that loading libswiftCore.so (and then libstdc++) cost. */
void swift_addNewDSOImage(const void *header) { (void)header; }
int _swift_backtrace_isThunkFunction(const char *name) { (void)name; return 0; }
