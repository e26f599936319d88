/* The pod sandbox's process, in the spirit of Kubernetes' build/pause/linux/pause.c: it holds
 * the pod's namespaces and does nothing else. As PID 1 of a pod that shares its PID namespace it
 * must reap the orphans that are re-parented to it, and it must exit at once (status 0) when the
 * runtime stops the sandbox. Built with `gcc -static -Os -s`, so its image needs no C library. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) {
    (void)sig;
    _exit(0);
}

static void reap(int sig) {
    (void)sig;
    /* One SIGCHLD may stand for several children: collect every one that has exited. */
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
}

static void on(int sig, void (*handler)(int), int flags) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    action.sa_flags = flags;
    if (sigaction(sig, &action, NULL) < 0) {
        perror("sigaction");
        _exit(1);
    }
}

int main(void) {
    if (getpid() != 1)
        fprintf(stderr, "warning: pause should be the first process (PID 1) of its namespace\n");
    on(SIGINT, stop, 0);
    on(SIGTERM, stop, 0);
    /* SA_NOCLDSTOP: a child that is only stopped is not there to be reaped. */
    on(SIGCHLD, reap, SA_NOCLDSTOP);
    for (;;)
        pause();
}
