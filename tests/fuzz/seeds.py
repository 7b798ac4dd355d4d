#!/usr/bin/env python3
"""Seed corpora for the fuzzers of tests/fuzz, from the project's test vectors.

Usage: tests/fuzz/seeds.py OUT_DIR     (from the repository root)

Writes OUT_DIR/<fuzzer>/seed-N files: the Avro datums of tests/vectors/avro/datums.json in both
framings (fuzz_avro; the first byte picks the record as the harness does), their JSON
(fuzz_json_avro), the compressed strings of tests/vectors/lzstring/vectors.json (fuzz_lzstring),
a SISDMK and an Excel export (fuzz_csv_import), a Dukcapil and a BPJS answer (fuzz_gov_answers)
and config/vaksin.conf.example (fuzz_config).
"""
import json
import os
import sys

# The order of vk_all_records (lib/contract/vk_contract.c), which the harnesses index.
RECORDS = ["TicketRequested", "RegistrationSubmitted", "ScreeningSubmitted",
           "VaccinationSubmitted", "VerificationRequested", "AccessChanged",
           "VerificationLookup", "TargetEvent", "DeadLetter"]

CSV = [
    b"NIK,NAMA,TGL_LAHIR,JENIS_KELAMIN,NO_HP,KATEGORI,KODE_FASKES\n"
    b"3273025205850001,SITI NURHALIZA,1985-05-12,P,0812-3456-7890,PERAWAT,P3273020201\n"
    b"3273021508800002,BUDI,15/08/1980,L,,DOKTER,\n",
    b"\xef\xbb\xbfnik;nama;tgl lahir;jk\r\n3171014107900003;\"ANI; S.Kep\";01-07-1990;Perempuan\r\n",
]
DUKCAPIL = (b'{"content":[{"NIK":"Sesuai","NAMA_LGKP":"Sesuai (100)","TGL_LHR":"Tidak Sesuai",'
            b'"JENIS_KLMIN":"Sesuai"}],"lastPage":true,"numberOfElements":1}')
BPJS = (b'{"metaData":{"code":"200","message":"OK"},"response":"'
        b'AAAAAAAAAAAAAAAAAAAAAA=="}')


def write(out, name, seeds):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    for i, data in enumerate(seeds):
        with open(os.path.join(d, "seed-%d" % i), "wb") as f:
            f.write(data)


def main():
    out = sys.argv[1]
    datums = json.load(open("tests/vectors/avro/datums.json"))
    avro, js = [], []
    for v in datums:
        sel = bytes([RECORDS.index(v["full_name"].split(".")[-1])])
        avro.append(sel + bytes.fromhex(v["hex"]))
        js.append(sel + json.dumps(v["json"]).encode())
    write(out, "avro", avro)
    write(out, "json_avro", js)
    lz = json.load(open("tests/vectors/lzstring/vectors.json"))["vectors"]
    write(out, "lzstring", [v["compressed"].encode() for v in lz if v["compressed"]])
    write(out, "csv_import", [bytes([7]) + c for c in CSV])
    write(out, "gov_answers", [b"\x00" + DUKCAPIL, b"\x01" + BPJS])
    write(out, "config", [open("config/vaksin.conf.example", "rb").read()])


if __name__ == "__main__":
    main()
