/*
 * vk_handler.c — see vk_handler.h.
 *
 * Reasons are written for the operator who reads the dead letter: the field at fault, the value
 * as sent (quoted and cut at 40 bytes, so a pasted paragraph does not fill the reason) and what
 * was expected.
 */
#include "vk_handler.h"

#include "vk_str.h"
#include "vk_time.h"

#include "vk_dose.h"
#include "vk_uuid.h"
#include "vk_value.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

vk_handled vk_refuse(vk_dead *dead, const char *code, const char *fmt, ...) {
    snprintf(dead->code, sizeof dead->code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dead->reason, sizeof dead->reason, fmt, ap);
    va_end(ap);
    return VK_DEAD;
}

vk_handled vk_request_decode(vk_decoder *dec, const char *record, const rd_kafka_message_t *in,
                             avro_value_t **out, vk_dead *dead) {
    char err[400]; /* leaves room for the prefix in vk_dead.reason */
    int rc = vk_decoder_decode(dec, in->payload, in->len, out, err, sizeof err);
    if (rc == 0)
        return VK_OK;
    vk_refuse(dead, vk_decode_code(rc), "cannot decode %s: %s", record, err);
    /* A registry that does not answer says nothing about the message: wait and retry. */
    return rc == VK_DECODE_UNAVAILABLE ? VK_RETRY : VK_DEAD;
}

static int64_t earliest_ms = VK_EVENT_EARLIEST_MS, future_max_ms = VK_EVENT_FUTURE_MAX_MS;

void vk_envelope_window(int64_t earliest, int64_t future_max) {
    earliest_ms = earliest;
    future_max_ms = future_max;
}

vk_handled vk_check_text(const char *field, const char *s, size_t max, const char *code,
                         vk_dead *dead) {
    if (!s)
        return VK_OK;
    if (!vk_str_utf8_valid(s))
        return vk_refuse(dead, code, "%s: not valid UTF-8", field);
    size_t n = strlen(s);
    if (n > max)
        return vk_refuse(dead, code, "%s: %zu bytes, at most %zu", field, n, max);
    return VK_OK;
}

vk_handled vk_envelope_read(const avro_value_t *req, const rd_kafka_message_t *in, vk_envelope *env,
                            vk_dead *dead) {
    uint8_t uuid[16];
    env->appended = -1;
    env->appended_by_broker = false;
    if (vk_value_get_str(req, "event_id", &env->event_id) ||
        vk_value_get_long(req, "occurred_at", &env->occurred_at) ||
        vk_value_get_str(req, "source", &env->source) ||
        vk_value_get_opt_str(req, "actor", &env->actor))
        return vk_refuse(dead, "DECODE", "envelope fields missing");
    if (vk_uuid_parse(env->event_id, uuid))
        return vk_refuse(dead, "INVALID_EVENT_ID", "event_id: \"%.64s\" is not a UUID",
                         env->event_id);
    vk_handled h =
        vk_check_text("source", env->source, VK_ENVELOPE_NAME_MAX, "INVALID_SOURCE", dead);
    if (h == VK_OK)
        h = vk_check_text("actor", env->actor, VK_ENVELOPE_NAME_MAX, "INVALID_ACTOR", dead);
    if (h != VK_OK)
        return h;
    char at[VK_TIME_LEN], bound[VK_TIME_LEN];
    vk_time_format(env->occurred_at, VK_TIME_MS, at, sizeof at);
    if (env->occurred_at < earliest_ms)
        return vk_refuse(dead, "INVALID_TIME",
                         "occurred_at: %s is before %s, the earliest time "
                         "accepted",
                         at, vk_time_format(earliest_ms, VK_TIME_S, bound, sizeof bound));
    /* Only a message librdkafka made has a timestamp (one built by hand, as the lookup worker's
     * re-read and the unit tests do, has no topic handle and nothing behind it to read). */
    rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
    int64_t appended = in && in->rkt ? rd_kafka_message_timestamp(in, &type) : -1;
    env->appended = appended > 0 ? appended : -1;
    env->appended_by_broker = appended > 0 && type == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME;
    int64_t latest = appended > 0 ? appended + future_max_ms : VK_TIME_MAX_MS;
    if (env->occurred_at > latest)
        return vk_refuse(dead, "INVALID_TIME",
                         "occurred_at: %s is after %s (%s the message's timestamp)", at,
                         vk_time_format(latest, VK_TIME_S, bound, sizeof bound),
                         appended > 0 ? "too far after" : "the latest time vaksin represents;");
    return VK_OK;
}

vk_handled vk_check_nik(const char *nik, vk_dead *dead) {
    char err[256];
    vk_nik_info info;
    if (vk_nik_parse(nik, &info, err, sizeof err))
        return vk_refuse(dead, "INVALID_NIK", "nik: %s", err);
    return VK_OK;
}

vk_handled vk_check_dose(int32_t dose, vk_dead *dead) {
    if (dose < 1 || dose > VK_MAX_DOSES)
        return vk_refuse(dead, "INVALID_DOSE", "dose: %d is not a dose number (1 to %d)", (int)dose,
                         VK_MAX_DOSES);
    return VK_OK;
}

vk_handled vk_check_facility(const char *facility, char out[VK_FACILITY_MAX + 1], vk_dead *dead) {
    if (vk_facility_normalize(facility, out, VK_FACILITY_MAX + 1))
        return vk_refuse(dead, "INVALID_FACILITY",
                         "facility_code: \"%.40s\" is not a facility code (letters and digits, "
                         "at most %d)",
                         facility ? facility : "", VK_FACILITY_MAX);
    return VK_OK;
}

vk_handled vk_desk_visit_read(const avro_value_t *req, bool with_nik, vk_desk_visit *visit,
                              vk_dead *dead) {
    const char *facility;
    visit->nik = NULL;
    if ((with_nik && vk_value_get_str(req, "nik", &visit->nik)) ||
        vk_value_get_int(req, "dose", &visit->dose) ||
        vk_value_get_str(req, "facility_code", &facility))
        return vk_refuse(dead, "DECODE", "%sdose or facility_code field missing",
                         with_nik ? "nik, " : "");
    vk_handled h = with_nik ? vk_check_nik(visit->nik, dead) : VK_OK;
    if (h == VK_OK)
        h = vk_check_dose(visit->dose, dead);
    if (h == VK_OK)
        h = vk_check_facility(facility, visit->facility, dead);
    return h;
}

avro_value_t *vk_target_event_begin(vk_encoder *enc, const char *service, const vk_envelope *env,
                                    int n, const char *nik, vk_target_branch branch,
                                    avro_value_t *payload, char *err, size_t errlen) {
    char id[37];
    vk_derive_event_id(service, env->event_id, n, id);
    avro_value_t *e = vk_encoder_value(enc);
    avro_value_t union_value;
    int rc = vk_value_set_str(e, "event_id", id) |
             vk_value_set_long(e, "occurred_at", env->occurred_at) |
             vk_value_set_str(e, "source", env->source) |
             vk_value_set_opt_str(e, "actor", env->actor) | vk_value_set_str(e, "nik", nik) |
             vk_value_set_str(e, "causation_id", env->event_id);
    if (!rc)
        rc = vk_value_get_field(e, "payload", &union_value) ||
             avro_value_set_branch(&union_value, (int)branch, payload);
    if (rc) {
        snprintf(err, errlen, "cannot fill TargetEvent: %s", avro_strerror());
        return NULL;
    }
    return e;
}

int vk_target_event_add(vk_encoder *enc, const avro_value_t *event, const char *nik,
                        vk_outputs *out, char *err, size_t errlen) {
    vk_output *o = vk_outputs_add(out, VK_TOPIC_TARGET_EVENTS);
    if (!o || vk_buf_append_str(&o->key, nik)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return vk_encoder_write(enc, event, &o->value, err, errlen);
}

int vk_stage_codec_open(vk_stage_codec *sc, vk_codec *codec, const char *request_schema, char *err,
                        size_t errlen) {
    sc->dec = vk_decoder_new(codec, request_schema, err, errlen);
    sc->enc = sc->dec ? vk_encoder_new(codec, VK_SCHEMA_TARGET_EVENT, err, errlen) : NULL;
    if (sc->enc)
        return 0;
    vk_stage_codec_close(sc);
    return -1;
}

void vk_stage_codec_close(vk_stage_codec *sc) {
    if (sc->dec)
        vk_decoder_destroy(sc->dec);
    if (sc->enc)
        vk_encoder_destroy(sc->enc);
    sc->dec = NULL;
    sc->enc = NULL;
}
