"""The independent CSV reader of the CSV differential: Python's csv module, strict.

Reads a JSON list of {path, delimiter, quote} on stdin and writes, for each file, its records (blank lines,
which csv gives as [], left out) and, for a file csv refuses, the error and how many records came before it.
The file is decoded as UTF-8 with its BOM, if any, removed (utf-8-sig): a BOM is not data.
"""
import csv
import json
import sys

csv.field_size_limit(sys.maxsize)
out = []
for f in json.load(sys.stdin):
    records = []
    error = None
    with open(f["path"], newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, delimiter=f["delimiter"], quotechar=f["quote"], doublequote=True, strict=True)
        try:
            for rec in reader:
                if rec:
                    records.append(rec)
        except csv.Error as e:
            error = str(e)
    out.append({"records": records, "error": error})
json.dump(out, sys.stdout)
