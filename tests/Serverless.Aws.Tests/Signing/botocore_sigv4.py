"""Signs one request with botocore's SigV4Auth at a fixed time and prints what botocore computed, as JSON.

The independent side of the SigV4 tests (SigV4Tests.cs): the tests sign a request with the AWS SDK for .NET and
compare the Authorization header with the one botocore computes here.

Argument: one JSON object with
  method, url            the request line (the host header is derived from the url, as botocore does)
  headers                other headers to sign (object; optional)
  body_base64            the body (optional; empty when absent)
  access_key, secret_key, token (token optional: a session token is signed as X-Amz-Security-Token)
  region, service        the credential scope
  timestamp              the signing time, "YYYYMMDDTHHMMSSZ"
  sign_content_sha256    optional, default false: add an X-Amz-Content-SHA256 header holding botocore's own hash
                         of the body before signing. The .NET SDK's AWS4Signer signs that header on every request;
                         botocore does so only for S3, so without it the two would sign different header sets.

Prints: {"canonical_request", "string_to_sign", "signature", "authorization", "headers"}.
"""

import base64
import datetime
import json
import sys
from unittest import mock

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def sign(spec):
    body = base64.b64decode(spec.get("body_base64") or "")
    request = AWSRequest(method=spec["method"], url=spec["url"], headers=dict(spec.get("headers") or {}), data=body)
    credentials = Credentials(spec["access_key"], spec["secret_key"], spec.get("token"))
    signer = SigV4Auth(credentials, spec["service"], spec["region"])
    if spec.get("sign_content_sha256"):
        request.headers["X-Amz-Content-SHA256"] = signer.payload(request)

    # add_auth reads the clock through botocore.auth.get_current_datetime (a naive UTC datetime).
    signed_at = datetime.datetime.strptime(spec["timestamp"], SIGV4_TIMESTAMP)
    with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at):
        signer.add_auth(request)

    authorization = request.headers["Authorization"]
    # Recompute the intermediate values for diagnostics, in the state add_auth signed (without Authorization).
    del request.headers["Authorization"]
    canonical_request = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical_request)
    signature = signer.signature(string_to_sign, request)
    if not authorization.endswith("Signature=" + signature):
        raise SystemExit("botocore's intermediate values do not reproduce its own Authorization header")
    return {
        "canonical_request": canonical_request,
        "string_to_sign": string_to_sign,
        "signature": signature,
        "authorization": authorization,
        "headers": {name: value for name, value in request.headers.items()},
    }


if __name__ == "__main__":
    print(json.dumps(sign(json.loads(sys.argv[1]))))
