/*
 * print.c — how vaksin-trail shows a trail: JSON lines for programs, or for people one header
 * line per event (when, where, what, who, what became of it) with the decoded record below it.
 *
 * A dead letter's original bytes are left out of the human form (they are base64 noise there);
 * what they decode to is shown as its payload, and the JSON form keeps everything.
 */
#include "trail.h"

#include "vk_audit.h"
#include "vk_time.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

json_t *trail_entry_json(const trail_entry *e) {
    char when[40];
    vk_time_format(e->time, VK_TIME_MS, when, sizeof when);
    return json_pack("{s:s,s:I,s:s,s:i,s:I,s:s,s:s?,s:s,s:O,s:O}", "time", when, "timestamp",
                     (json_int_t)e->time, "topic", e->topic, "partition", (int)e->partition,
                     "offset", (json_int_t)e->offset, "event_type", e->event_type, "actor",
                     e->actor, "source", e->source == TRAIL_FROM_TOPIC ? "topic" : "event_log",
                     "outcome", e->outcome ? e->outcome : json_null(), "record", e->record);
}

/* "    <label><compact JSON>" */
static void print_json(FILE *out, const char *label, const json_t *j) {
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    fprintf(out, "    %s%s\n", label, s ? s : "(cannot render)");
    free(s);
}

static void print_human(FILE *out, const trail_entry *e) {
    char when[40];
    vk_time_format(e->time, VK_TIME_MS, when, sizeof when);
    const json_t *summary = json_object_get(e->outcome, "summary");
    fprintf(out, "%s  %s[%" PRId32 "]@%" PRId64 "%s  %s  actor=%s  %s\n", when, e->topic,
            e->partition, e->offset, e->source == TRAIL_FROM_EVENT_LOG ? " (from event_log)" : "",
            e->event_type, e->actor ? e->actor : "-",
            json_string_value(summary) ? json_string_value(summary) : "outcome unknown");
    const json_t *value = json_object_get(e->record, "value");
    if (!value) {
        print_json(out, "error: ", json_object_get(e->record, "error"));
        print_json(out, "raw_base64: ", json_object_get(e->record, "raw_base64"));
        return;
    }
    if (!json_object_get(e->record, "payload") && !json_object_get(e->record, "payload_error")) {
        print_json(out, "", value);
        return;
    }
    json_t *letter = json_deep_copy(value); /* a dead letter, without its original bytes */
    json_object_del(letter, "key");
    json_object_del(letter, "value");
    print_json(out, "", letter);
    json_decref(letter);
    if (json_object_get(e->record, "payload"))
        print_json(out, "payload: ", json_object_get(e->record, "payload"));
    else
        print_json(out, "payload_error: ", json_object_get(e->record, "payload_error"));
}

void trail_print(const trail *t, FILE *out, bool json_lines) {
    for (size_t i = 0; i < t->n; i++) {
        if (!json_lines) {
            print_human(out, &t->v[i]);
            continue;
        }
        json_t *j = trail_entry_json(&t->v[i]);
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (s)
            fprintf(out, "%s\n", s);
        free(s);
        json_decref(j);
    }
}
