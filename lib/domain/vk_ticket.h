/*
 * vk_ticket.h — the ticket number a target receives: derived from the NIK with a secret key, so it
 * cannot be guessed from a NIK and the same NIK always gets the same ticket.
 */
#ifndef VK_TICKET_H
#define VK_TICKET_H

#include <stddef.h>
#include <stdint.h>

/** 80 bits of HMAC-SHA256(secret, NIK) as 16 Crockford base32 symbols + 1 check symbol. 80 bits
 *  keep the chance of any collision among 300 million targets below 4e-8 (birthday bound
 *  n^2 / 2^81); the check symbol (value mod 37, Crockford's) catches a mistyped symbol. */
#define VK_TICKET_LEN 17

/** @brief Writes the ticket for @p nik into @p out (VK_TICKET_LEN + 1 bytes). */
void vk_ticket_from_nik(const uint8_t *secret, size_t secret_len, const char *nik,
                        char out[VK_TICKET_LEN + 1]);

/**
 * @brief Canonicalizes a ticket as typed at a desk (case-insensitive; hyphens and spaces
 * ignored; O→0, I/L→1 as Crockford says) into @p out and checks length and check symbol.
 * Returns 0, or -1 with @p err.
 */
int vk_ticket_canonical(const char *in, char out[VK_TICKET_LEN + 1], char *err, size_t errlen);

#endif
