/*
 * fuzz_csv_import — a SISDMK/Excel export as vaksin-import reads it: the streaming CSV parser
 * (fed in two pieces, split where the first byte says, so its state must survive any split),
 * the header mapping and every data row's mapping and event id.
 */
#include "vk_csv.h"
#include "vk_import.h"

#include <stddef.h>
#include <stdint.h>

typedef struct state {
    vk_import_header h;
    bool have_header;
    vk_import_row row;
} state;

static int on_row(const vk_csv_row *row, void *arg) {
    state *s = arg;
    char err[512], id[37];
    if (!s->have_header) {
        s->have_header = vk_import_header_parse(row, &s->h, err, sizeof err) == 0;
        return s->have_header ? 0 : 1;
    }
    if (vk_import_row_parse(&s->h, row, &s->row, err, sizeof err) == VK_IMPORT_OK)
        vk_import_event_id(&s->row, "SISDMK", id);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    size_t split = data[0] % (size);
    data++, size--;
    if (split > size)
        split = size;
    state s = {.row = VK_IMPORT_ROW_INIT};
    vk_csv *p = vk_csv_new(vk_csv_detect_separator((const char *)data, size));
    if (!p)
        return 0;
    int rc = vk_csv_feed(p, data, split, on_row, &s);
    if (rc == 0)
        rc = vk_csv_feed(p, data + split, size - split, on_row, &s);
    if (rc == 0)
        vk_csv_finish(p, on_row, &s);
    vk_csv_destroy(p);
    vk_import_row_free(&s.row);
    return 0;
}
