"""An independent verifier of `charter check --attest` files, built on securesystemslib (the
DSSE implementation the in-toto project uses), not on Charter's code.

usage: verify_dsse.py ATTESTATION PUBLIC_KEY_PEM [MANIFEST...]

For every line: the DSSE envelope's Ed25519 signature over the PAE verifies with the key (its id
recomputed here as the SHA-256 of the key's SubjectPublicKeyInfo DER); the payload is an in-toto
Statement v1 with Charter's decision predicate; each MANIFEST given, in order, is the subject of
the envelope on the same line (the SHA-256 of its bytes). Then a copy of each envelope with one
payload byte changed must fail, so the verifier is not accepting anything.
Prints `verified N envelopes` and exits 0, or prints why and exits 1.
"""

import base64
import hashlib
import json
import sys

from cryptography.hazmat.primitives import serialization
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import SSlibKey


def main(argv):
    attestation, pem_path, manifests = argv[1], argv[2], argv[3:]
    with open(pem_path, "rb") as f:
        public = serialization.load_pem_public_key(f.read())
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key = SSlibKey.from_crypto(public, keyid=hashlib.sha256(der).hexdigest())
    with open(attestation, encoding="utf-8") as f:
        lines = [line for line in f.read().splitlines() if line.strip()]
    if not lines:
        print(f"{attestation}: no envelopes")
        return 1
    for n, line in enumerate(lines, 1):
        envelope = Envelope.from_dict(json.loads(line))
        try:
            envelope.verify([key], 1)
        except VerificationError as e:
            print(f"{attestation}:{n}: signature does not verify: {e}")
            return 1
        if envelope.payload_type != "application/vnd.in-toto+json":
            print(f"{attestation}:{n}: payload type {envelope.payload_type}")
            return 1
        statement = json.loads(envelope.payload)
        if statement.get("_type") != "https://in-toto.io/Statement/v1":
            print(f"{attestation}:{n}: not an in-toto Statement v1")
            return 1
        if statement.get("predicateType") != "https://charter.dev/decision/v1":
            print(f"{attestation}:{n}: predicate type {statement.get('predicateType')}")
            return 1
        if n <= len(manifests):
            with open(manifests[n - 1], "rb") as f:
                want = hashlib.sha256(f.read()).hexdigest()
            got = [s["digest"].get("sha256") for s in statement["subject"]]
            if want not in got:
                print(f"{attestation}:{n}: subject {got} is not {manifests[n - 1]} ({want})")
                return 1
        # The same envelope with its payload altered must not verify.
        raw = json.loads(line)
        payload = bytearray(base64.b64decode(raw["payload"]))
        payload[len(payload) // 2] ^= 1
        raw["payload"] = base64.b64encode(bytes(payload)).decode()
        try:
            Envelope.from_dict(raw).verify([key], 1)
        except VerificationError:
            pass
        else:
            print(f"{attestation}:{n}: an altered payload verified")
            return 1
    print(f"verified {len(lines)} envelopes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
