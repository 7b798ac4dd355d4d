/*
 * vk_signals.h — how every vaksin program is asked to stop: SIGTERM or SIGINT sets vk_stop, which
 * the program's loop reads between two units of work (a batch, a request), so it stops cleanly.
 */
#ifndef VK_SIGNALS_H
#define VK_SIGNALS_H

#include <signal.h>

/** Set by SIGTERM/SIGINT once vk_install_signals() ran. */
extern volatile sig_atomic_t vk_stop;
/** @brief Installs SIGTERM/SIGINT handlers that set vk_stop (and ignores SIGPIPE). */
void vk_install_signals(void);

#endif
