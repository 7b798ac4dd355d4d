/*
 * vk_signals.c — the stop flag and its signal handlers (see vk_signals.h).
 */
#include "vk_signals.h"

#include <string.h>

volatile sig_atomic_t vk_stop = 0;

static void on_signal(int sig) {
    (void)sig;
    vk_stop = 1;
}

void vk_install_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
