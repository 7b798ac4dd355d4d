/*
 * vk_signals.h — how every vaksin program is asked to stop: SIGTERM or SIGINT sets vk_stop, which
 * the program's loop reads between two units of work (a batch, a request), so it stops cleanly.
 */
#ifndef VK_SIGNALS_H
#define VK_SIGNALS_H

#include <signal.h>
#include <stdint.h>

/** Set by SIGTERM/SIGINT once vk_install_signals() ran. */
extern volatile sig_atomic_t vk_stop;
/** @brief Installs SIGTERM/SIGINT handlers that set vk_stop (and ignores SIGPIPE). */
void vk_install_signals(void);

/** @brief Sleeps @p ms milliseconds in steps of at most 100 ms, returning early once vk_stop is
 *  set: a wait that a stop request cuts short. Returns 0 when it slept it all, -1 when stopped. */
int vk_nap(int64_t ms);

#endif
