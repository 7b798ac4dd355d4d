/*
 * vk_rules.c — the identity rules of docs/design.md §4 as pure functions: NIK structure, province
 * codes, phone numbers, personal names, facility codes. Ticket numbers live in vk_ticket.c,
 * calendar dates in lib/base/vk_time.c (the NIK's birth date is checked with them).
 *
 * Design and trade-offs
 * - Pure functions only: no I/O, no allocation, no locale (<ctype.h> would follow setlocale and
 *   accept bytes a C locale would not). Services, the projector and the tools all call these, so
 *   every rule is written once.
 * - A refusal explains itself: the error names the part of the input at fault and the value
 *   found, in words an operator at a desk or a data steward can act on. Positions are 1-based
 *   and count characters as typed.
 * - A NIK carries a two-digit year, so its century is unknown. 29 February is therefore always
 *   accepted (some century had it) while 31 April never is. Whether a NIK agrees with a recorded
 *   birth date or sex is not a structural question: vk_nik_birth_date_matches() answers it and
 *   the caller flags the target rather than refusing it (docs/design.md §4).
 * - Dates are days since 1970-01-01 in the proleptic Gregorian calendar (Avro's `date`), with
 *   Howard Hinnant's days_from_civil / civil_from_days: exact for every year 1..9999, negative
 *   before 1970, no tables and no time zone (mktime/timegm depend on TZ and time_t width).
 * - Names: only ASCII is case-folded. Folding other scripts needs Unicode tables we do not want
 *   in a small pure library, so "José" becomes "JOSé"; names from Dukcapil and JKN are written
 *   in upper case already. Non-ASCII characters count as letters once proven to be valid
 *   UTF-8, except the C1 controls and the Latin-1 symbols (U+00A1-U+00BF, ×, ÷) which are
 *   cheap to recognise; U+00A0 (no-break space, common in spreadsheet pastes) is white space.
 */
#include "vk_rules.h"

#include "vk_err.h"
#include "vk_time.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define VK_NIK_LEN          16
#define VK_NAME_MAX         100
#define VK_PHONE_MAX_DIGITS 20

/* ---- helpers ---- */

static bool vk_is_digit(char c) {
    return c >= '0' && c <= '9';
}
static bool vk_is_alpha(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
static char vk_upper(char c) {
    if (c >= 'a' && c <= 'z')
        return (char)(c - 'a' + 'A');
    return c;
}

/** @brief Quotes a printable ASCII byte ('x') or writes it in hex (0x07) for error messages. */
static const char *vk_char_desc(unsigned char c, char buf[8]) {
    if (c >= 0x20 && c < 0x7f)
        snprintf(buf, 8, "'%c'", c);
    else
        snprintf(buf, 8, "0x%02X", c);
    return buf;
}

static int vk_two_digits(const char *p) {
    return (p[0] - '0') * 10 + (p[1] - '0');
}

static int vk_n_digits(const char *p, size_t n) {
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (p[i] - '0');
    return v;
}

/* The most days month m (1-12) ever has: February counts 29 (some century had it). */
static int vk_max_days_in_month(int m) {
    return vk_date_days_in_month(2000, m);
}

static const char *const vk_month_names[13] = {
    "",     "January", "February",  "March",   "April",    "May",     "June",
    "July", "August",  "September", "October", "November", "December"};

/* ---- provinces ---- */

/*
 * Province codes (the first two NIK digits), as fixed by the design brief:
 *   11-19 Sumatra (Aceh .. Kepulauan Bangka Belitung), 21 Kepulauan Riau, 31-36 Java (DKI
 *   Jakarta .. Banten), 51-53 Bali and Nusa Tenggara, 61-65 Kalimantan (65 Kalimantan Utara,
 *   2012), 71-76 Sulawesi, 81-82 Maluku and Maluku Utara, 91-97 Papua.
 * Source: the Kemendagri region codes (Permendagri 72/2019, "Kode dan Data Wilayah
 * Administrasi Pemerintahan") that Dukcapil writes into NIKs, plus the provinces Papua was split
 * into in 2022 (Papua Selatan, Papua Tengah, Papua Pegunungan, Papua Barat Daya). Kemendagri
 * and BPS number the Papua provinces differently (BPS has Papua as 94) and both numberings
 * turn up in records, so 91-97 accepts the union of the two. A NIK keeps its code when its
 * province is split or renamed, so codes are only ever added here, never removed. Check this
 * list against the current Kemendagri code list when a province is created.
 */
static const unsigned char vk_province_codes[] = {
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53, 61,
    62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96, 97};

bool vk_province_code_valid(int code) {
    for (size_t i = 0; i < sizeof vk_province_codes; i++)
        if (vk_province_codes[i] == code)
            return true;
    return false;
}

/* ---- NIK ---- */

static int vk_nik_check_digits(const char *nik, char *err, size_t errlen) {
    size_t n = 0;
    for (; nik[n]; n++) {
        if (!vk_is_digit(nik[n])) {
            char c[8];
            return vk_errf(err, errlen, "NIK character %zu (%s) is not a digit", n + 1,
                           vk_char_desc((unsigned char)nik[n], c));
        }
    }
    if (n != VK_NIK_LEN)
        return vk_errf(err, errlen, "NIK has %zu digits, expected 16", n);
    return 0;
}

static int vk_nik_check_region(const char *nik, vk_nik_info *info, char *err, size_t errlen) {
    info->province = vk_two_digits(nik);
    info->regency = vk_two_digits(nik + 2);
    info->district = vk_two_digits(nik + 4);
    if (!vk_province_code_valid(info->province))
        return vk_errf(err, errlen, "NIK province code %02d does not exist", info->province);
    if (info->regency == 0)
        return vk_errf(err, errlen, "NIK regency/city code 00 is not valid (01-99)");
    if (info->district == 0)
        return vk_errf(err, errlen, "NIK district code 00 is not valid (01-99)");
    return 0;
}

static int vk_nik_check_birth(const char *nik, vk_nik_info *info, char *err, size_t errlen) {
    const int dd = vk_two_digits(nik + 6);
    const int mm = vk_two_digits(nik + 8);
    if (!((dd >= 1 && dd <= 31) || (dd >= 41 && dd <= 71)))
        return vk_errf(err, errlen,
                       "NIK birth day %02d is not a valid day (01-31, or 41-71 for women)", dd);
    if (mm < 1 || mm > 12)
        return vk_errf(err, errlen, "NIK birth month %02d is not a valid month (01-12)", mm);
    info->sex = dd > 40 ? VK_SEX_P : VK_SEX_L;
    info->birth_day = dd > 40 ? dd - 40 : dd;
    info->birth_month = mm;
    info->birth_yy = vk_two_digits(nik + 10);
    if (info->birth_day <= vk_max_days_in_month(mm))
        return 0;
    if (dd > 40)
        return vk_errf(err, errlen,
                       "NIK birth day %02d (%02d for a woman) does not exist in %s "
                       "(%d days)",
                       dd, info->birth_day, vk_month_names[mm], vk_max_days_in_month(mm));
    return vk_errf(err, errlen, "NIK birth day %02d does not exist in %s (%d days)", dd,
                   vk_month_names[mm], vk_max_days_in_month(mm));
}

int vk_nik_parse(const char *nik, vk_nik_info *info, char *err, size_t errlen) {
    if (!nik)
        return vk_errf(err, errlen, "NIK is missing");
    if (vk_nik_check_digits(nik, err, errlen))
        return -1;
    vk_nik_info v = {0};
    if (vk_nik_check_region(nik, &v, err, errlen) || vk_nik_check_birth(nik, &v, err, errlen))
        return -1;
    v.serial = vk_n_digits(nik + 12, 4);
    if (v.serial == 0)
        return vk_errf(err, errlen, "NIK serial 0000 is not valid (0001-9999)");
    if (info)
        *info = v;
    return 0;
}

bool vk_nik_birth_date_matches(const vk_nik_info *info, int32_t birth_date) {
    if (!info)
        return false;
    int y, m, d;
    vk_date_from_days(birth_date, &y, &m, &d);
    return d == info->birth_day && m == info->birth_month && y % 100 == info->birth_yy;
}

void vk_nik_district_code(const char *nik, char out[5]) {
    size_t n = 0;
    while (nik && n < 4 && nik[n]) {
        out[n] = nik[n];
        n++;
    }
    out[n] = '\0';
}

/* ---- phone ---- */

static bool vk_phone_separator(char c) {
    return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}

/*
 * Collects the digits of @p in (at most VK_PHONE_MAX_DIGITS are stored, all are counted in
 * *ndigits) and whether it began with '+'. Refuses anything but digits, separators and one
 * leading '+'.
 */
static int vk_phone_digits(const char *in, char digits[VK_PHONE_MAX_DIGITS + 1], size_t *ndigits,
                           bool *plus, char *err, size_t errlen) {
    size_t n = 0;
    *plus = false;
    for (size_t i = 0; in[i]; i++) {
        const char c = in[i];
        char desc[8];
        if (vk_phone_separator(c))
            continue;
        if (vk_is_digit(c)) {
            if (n < VK_PHONE_MAX_DIGITS)
                digits[n] = c;
            n++;
        } else if (c == '+' && n == 0 && !*plus) {
            *plus = true;
        } else if (c == '+') {
            return vk_errf(err, errlen,
                           "phone number has '+' at position %zu; only a leading + "
                           "is allowed",
                           i + 1);
        } else if (vk_is_alpha(c)) {
            return vk_errf(err, errlen, "phone number contains the letter '%c' at position %zu", c,
                           i + 1);
        } else {
            return vk_errf(err, errlen,
                           "phone number contains %s at position %zu; only digits, a leading +, "
                           "spaces and - . ( ) are allowed",
                           vk_char_desc((unsigned char)c, desc), i + 1);
        }
    }
    digits[n < VK_PHONE_MAX_DIGITS ? n : VK_PHONE_MAX_DIGITS] = '\0';
    *ndigits = n;
    return 0;
}

/* Strips the country code or trunk 0 and returns the national significant number, or NULL. */
static const char *vk_phone_national(const char *digits, bool plus, char *err, size_t errlen) {
    const bool has_62 = digits[0] == '6' && digits[1] == '2';
    if (plus && !has_62) {
        vk_errf(err, errlen, "phone number +%s is not Indonesian: the country code must be +62",
                digits);
        return NULL;
    }
    if (has_62) {
        /* "+62 (0)812…" writes the trunk 0 after the country code; drop it. */
        return digits[2] == '0' ? digits + 3 : digits + 2;
    }
    if (digits[0] == '0')
        return digits + 1;
    vk_errf(err, errlen, "phone number %s must start with 0, 62 or +62", digits);
    return NULL;
}

static int vk_phone_check_national(const char *nsn, char *err, size_t errlen) {
    const size_t len = strlen(nsn);
    if (nsn[0] == '8') {
        if (len < 8 || len > 13)
            return vk_errf(err, errlen,
                           "mobile phone number has %zu digits after +62, expected 8 to 13", len);
        return 0;
    }
    if (nsn[0] >= '2' && nsn[0] <= '9') {
        if (len < 7 || len > 11)
            return vk_errf(err, errlen,
                           "landline phone number has %zu digits after the leading 0 (area code "
                           "and number), expected 7 to 11",
                           len);
        return 0;
    }
    if (nsn[0] == '\0')
        return vk_errf(err, errlen, "phone number has no digits after the prefix");
    return vk_errf(err, errlen,
                   "phone number continues with %c after the prefix: expected 8 (mobile) or an "
                   "area code 2-9 (landline)",
                   nsn[0]);
}

static int vk_phone_to_e164(const char *in, char *out, size_t outlen, char *err, size_t errlen) {
    char digits[VK_PHONE_MAX_DIGITS + 1];
    size_t ndigits = 0;
    bool plus = false;
    if (!in)
        return vk_errf(err, errlen, "phone number is missing");
    if (vk_phone_digits(in, digits, &ndigits, &plus, err, errlen))
        return -1;
    if (ndigits == 0)
        return vk_errf(err, errlen, "phone number has no digits");
    if (ndigits > VK_PHONE_MAX_DIGITS)
        return vk_errf(err, errlen, "phone number has %zu digits, too many to be a phone number",
                       ndigits);
    const char *nsn = vk_phone_national(digits, plus, err, errlen);
    if (!nsn || vk_phone_check_national(nsn, err, errlen))
        return -1;
    if (!out || outlen < 3 + strlen(nsn) + 1)
        return vk_errf(err, errlen, "output buffer too small for the phone number");
    snprintf(out, outlen, "+62%s", nsn); /* nsn is a local copy, so @p out may be @p in */
    return 0;
}

int vk_phone_normalize(const char *in, char *out, size_t outlen, char *err, size_t errlen) {
    if (vk_phone_to_e164(in, out, outlen, err, errlen)) {
        if (out && outlen)
            out[0] = '\0';
        return -1;
    }
    return 0;
}

/* ---- names ---- */

/*
 * Length of the well-formed UTF-8 sequence starting at @p s (2-4), or 0 when it is not one:
 * a stray continuation byte, an overlong form (C0, C1, E0 80-9F, F0 80-8F), a surrogate
 * (ED A0-BF), a code point above U+10FFFF (F4 90+, F5-FF) or a sequence cut short (the NUL
 * terminator is never a continuation byte, so reading stops there).
 */
static size_t vk_utf8_seq_len(const unsigned char *s) {
    const unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

static uint32_t vk_utf8_code_point(const unsigned char *s, size_t n) {
    uint32_t cp = s[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++)
        cp = (cp << 6) | (s[i] & 0x3F);
    return cp;
}

/* Where a normalized name is being written: n counts every byte, even those beyond outlen. */
typedef struct vk_name_out {
    char *buf;
    size_t cap;
    size_t n;
    bool pending_space;
    bool has_letter;
} vk_name_out;

static void vk_name_emit(vk_name_out *w, const char *bytes, size_t k) {
    if (w->pending_space && w->n > 0) {
        if (w->n + 1 < w->cap)
            w->buf[w->n] = ' ';
        w->n++;
    }
    w->pending_space = false;
    for (size_t i = 0; i < k; i++, w->n++)
        if (w->n + 1 < w->cap)
            w->buf[w->n] = bytes[i];
}

/* One ASCII character of a name: emitted, taken as white space, or refused. */
static int vk_name_ascii(vk_name_out *w, char c, size_t pos, char *err, size_t errlen) {
    if (c == ' ' || c == '\t') {
        w->pending_space = true;
        return 0;
    }
    if ((unsigned char)c < 0x20 || c == 0x7f)
        return vk_errf(err, errlen, "name contains control character 0x%02X at position %zu",
                       (unsigned)c, pos);
    if (vk_is_digit(c))
        return vk_errf(err, errlen, "name contains the digit '%c' at position %zu", c, pos);
    if (vk_is_alpha(c)) {
        const char u = vk_upper(c);
        w->has_letter = true;
        vk_name_emit(w, &u, 1);
        return 0;
    }
    if (c == '\'' || c == '-' || c == '.' || c == ',') {
        vk_name_emit(w, &c, 1);
        return 0;
    }
    return vk_errf(err, errlen,
                   "name contains '%c' at position %zu; only letters, spaces, apostrophes, "
                   "hyphens, periods and commas are allowed",
                   c, pos);
}

/* One multi-byte character of a name; returns its length in bytes, or 0 with @p err. */
static size_t vk_name_multibyte(vk_name_out *w, const unsigned char *s, size_t pos, char *err,
                                size_t errlen) {
    const size_t k = vk_utf8_seq_len(s);
    if (k == 0) {
        vk_errf(err, errlen, "name has invalid UTF-8 at position %zu (byte 0x%02X)", pos, s[0]);
        return 0;
    }
    const uint32_t cp = vk_utf8_code_point(s, k);
    if (cp == 0xA0) {
        w->pending_space = true;
    } else if (cp < 0xA0) {
        vk_errf(err, errlen, "name contains control character U+%04X at position %zu", (unsigned)cp,
                pos);
        return 0;
    } else if (cp <= 0xBF || cp == 0xD7 || cp == 0xF7) {
        vk_errf(err, errlen, "name contains the symbol U+%04X at position %zu, not a letter",
                (unsigned)cp, pos);
        return 0;
    } else {
        w->has_letter = true;
        vk_name_emit(w, (const char *)s, k);
    }
    return k;
}

static int vk_name_check_result(const vk_name_out *w, char *err, size_t errlen) {
    if (w->n == 0)
        return vk_errf(err, errlen, "name is empty");
    if (!w->has_letter)
        return vk_errf(err, errlen, "name has no letters");
    if (w->n > VK_NAME_MAX)
        return vk_errf(err, errlen, "name is %zu bytes long after normalization, at most %d", w->n,
                       VK_NAME_MAX);
    if (w->n + 1 > w->cap)
        return vk_errf(err, errlen, "output buffer too small for the name (%zu bytes)", w->n);
    return 0;
}

static int vk_name_scan(vk_name_out *w, const char *in, char *err, size_t errlen) {
    if (!in)
        return vk_errf(err, errlen, "name is missing");
    const unsigned char *s = (const unsigned char *)in;
    for (size_t i = 0, pos = 1; s[i]; pos++) {
        if (s[i] < 0x80) {
            if (vk_name_ascii(w, (char)s[i], pos, err, errlen))
                return -1;
            i++;
        } else {
            const size_t k = vk_name_multibyte(w, s + i, pos, err, errlen);
            if (k == 0)
                return -1;
            i += k;
        }
    }
    return vk_name_check_result(w, err, errlen);
}

int vk_name_normalize(const char *in, char *out, size_t outlen, char *err, size_t errlen) {
    /* The output never runs ahead of the input, so normalizing in place (out == in) works. */
    vk_name_out w = {.buf = out, .cap = out ? outlen : 0};
    if (vk_name_scan(&w, in, err, errlen) || !out) { /* a scan that passed had room in out */
        if (out && outlen)
            out[0] = '\0';
        return -1;
    }
    out[w.n] = '\0';
    return 0;
}

/* ---- facility codes ---- */

static bool vk_is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int vk_facility_normalize(const char *in, char *out, size_t outlen) {
    if (!out || outlen == 0)
        return -1;
    out[0] = '\0';
    if (!in)
        return -1;
    while (vk_is_space(*in))
        in++;
    size_t n = 0;
    for (; *in && !vk_is_space(*in); in++) {
        if (!(vk_is_alpha(*in) || vk_is_digit(*in)) || n + 1 >= outlen || n >= VK_FACILITY_MAX) {
            out[0] = '\0';
            return -1;
        }
        out[n++] = vk_upper(*in);
    }
    while (vk_is_space(*in))
        in++;
    out[n] = '\0';
    if (*in || n == 0) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}
