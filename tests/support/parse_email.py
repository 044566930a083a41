#!/usr/bin/python3
"""Prints one received email (path in argv[1]) as JSON, decoded by Python's standard email
package: headers (decoded), raw header values, parts (content type, charset, transfer encoding,
decoded text) and the longest raw line, so C++ tests can check what a real parser sees."""
import email
import email.policy
import json
import sys

with open(sys.argv[1], "rb") as f:
    raw = f.read()
message = email.message_from_bytes(raw, policy=email.policy.default)
raw_message = email.message_from_bytes(raw, policy=email.policy.compat32)
parts = []
for part in message.walk():
    if part.is_multipart():
        continue
    parts.append({
        "content_type": part.get_content_type(),
        "charset": part.get_content_charset(),
        "transfer_encoding": part.get("Content-Transfer-Encoding", ""),
        "content": part.get_content().replace("\r\n", "\n"),
    })
print(json.dumps({
    "headers": {k: str(v) for k, v in message.items()},
    "raw_headers": {k: v for k, v in raw_message.items()},
    "content_type": message.get_content_type(),
    "defects": [str(d) for d in message.defects],
    "parts": parts,
    "max_line_length": max(len(line) for line in raw.split(b"\r\n")),
    "crlf_only": b"\n" not in raw.replace(b"\r\n", b""),
}, ensure_ascii=False))
