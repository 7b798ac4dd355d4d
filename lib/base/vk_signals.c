/*
 * vk_signals.c — the stop flag and its signal handlers (see vk_signals.h).
 */
#include "vk_signals.h"

#include "vk_time.h"

#include <string.h>
#include <time.h>

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

int vk_nap(int64_t ms) {
    for (int64_t until = vk_mono_ms() + ms, left = ms; !vk_stop && left > 0;
         left = until - vk_mono_ms()) {
        int64_t step = left < 100 ? left : 100;
        nanosleep(&(struct timespec){step / 1000, (step % 1000) * 1000000L}, NULL);
    }
    return vk_stop ? -1 : 0;
}
