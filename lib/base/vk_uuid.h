/*
 * vk_uuid.h — UUIDs: parsing and formatting, and the UUIDv5 ids vaksin derives for the events a
 * service emits from an input event (so a redelivered input yields the same ids).
 */
#ifndef VK_UUID_H
#define VK_UUID_H

#include <stddef.h>
#include <stdint.h>

/** The vaksin namespace for derived event ids (a fixed random UUIDv4). */
extern const uint8_t VK_UUID_NAMESPACE[16];

/** @brief RFC 4122 UUIDv5 (SHA-1) of @p name in namespace @p ns, as 36 lower-case chars + NUL. */
void vk_uuid_v5(const uint8_t ns[16], const void *name, size_t len, char out[37]);

/** @brief Derived event id: UUIDv5(VK_UUID_NAMESPACE, "<service>/<input_id>/<n>"). */
void vk_derive_event_id(const char *service, const char *input_event_id, int n, char out[37]);

/** @brief Parses a UUID in 8-4-4-4-12 hex form (any case). Returns 0, or -1. */
int vk_uuid_parse(const char *s, uint8_t out[16]);
/** @brief Writes @p uuid in 8-4-4-4-12 form, lower case, 36 chars + NUL (vk_uuid_parse's inverse).
 */
void vk_uuid_format(const uint8_t uuid[16], char out[37]);

#endif
