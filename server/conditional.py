"""Conditional and range requests for a static file, in the order RFC 9110 (section 13.2.2) gives.

werkzeug's make_conditional does most of it; what it gets wrong is settled here first:
- If-Match that fails is 412 before any range is considered (werkzeug served the range, or 412
  with the whole file as its body); If-Unmodified-Since, which werkzeug ignores, likewise;
- a Range it cannot serve as one byte range (several ranges, another unit, bad syntax) is ignored,
  as section 14.2 allows and, for an unknown unit, requires, so the client gets the whole file (200)
  instead of 416; 416 stays for a single byte range past the end. HEAD ignores Range (14.2).
"""
from __future__ import annotations

from flask import Request, Response
from werkzeug.exceptions import PreconditionFailed
from werkzeug.http import parse_date, parse_etags, parse_range_header


def answer_conditionally(request: Request, response: Response, length: int) -> Response:
    """response (a whole file with its ETag and Last-Modified) as the request's preconditions and
    Range make it: 200, 206, 304, 416, or PreconditionFailed raised for 412."""
    environ = request.environ
    if precondition_fails(environ, response):
        response.close()
        raise PreconditionFailed()
    environ.pop("HTTP_IF_MATCH", None)  # passed: werkzeug must not weigh it again against If-None-Match
    if request.method != "GET" or not single_byte_range(environ.get("HTTP_RANGE")):
        environ.pop("HTTP_RANGE", None)
    return response.make_conditional(environ, accept_ranges=True, complete_length=length)


def precondition_fails(environ: dict, response: Response) -> bool:
    """Steps 1 and 2: If-Match, else If-Unmodified-Since (an invalid date is ignored)."""
    if "HTTP_IF_MATCH" in environ:
        etag, _ = response.get_etag()
        return not parse_etags(environ["HTTP_IF_MATCH"]).contains(etag)
    unmodified_since = parse_date(environ.get("HTTP_IF_UNMODIFIED_SINCE"))
    return unmodified_since is not None and response.last_modified is not None and response.last_modified > unmodified_since


def single_byte_range(header: str | None) -> bool:
    parsed = parse_range_header(header) if header else None
    return parsed is not None and parsed.units == "bytes" and len(parsed.ranges) == 1
