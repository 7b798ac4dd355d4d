/*
 * vk_buf.h — a growable byte buffer.
 *
 * Used wherever bytes are built up (Avro framing, COPY data, JSON lines). The buffer owns its
 * memory; vk_buf_reset() keeps the allocation so a hot loop allocates once.
 */
#ifndef VK_BUF_H
#define VK_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct vk_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} vk_buf;

#define VK_BUF_INIT                                                                                \
    { NULL, 0, 0 }

/** @brief Makes room for @p extra more bytes. Returns 0, or -1 when out of memory. */
int vk_buf_reserve(vk_buf *b, size_t extra);
/** @brief Appends @p len bytes. Returns 0, or -1 when out of memory. */
int vk_buf_append(vk_buf *b, const void *data, size_t len);
/** @brief Appends a NUL-terminated string (without the NUL). */
int vk_buf_append_str(vk_buf *b, const char *s);
/** @brief Appends printf-style text. */
int vk_buf_printf(vk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** @brief Empties the buffer, keeping its allocation. */
static inline void vk_buf_reset(vk_buf *b) {
    b->len = 0;
}
/** @brief Frees the memory; the buffer is empty and reusable afterwards. */
void vk_buf_free(vk_buf *b);

#endif
