"""One line saying why a case failed."""
import os
import traceback

import requests
from azure.core.exceptions import AzureError, HttpResponseError


def error_message(response):
    try:
        body = response.json()
        if isinstance(body, dict) and body.get("error"):
            return str(body["error"])
    except ValueError:
        pass
    return response.text[:200]


def reason(exc):
    """One line: the HTTP status and the stack's error message when there is one."""
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        r = exc.response
        text = "HTTP {} {} {}: {}".format(r.status_code, r.request.method, r.request.path_url.split("?")[0],
                                          error_message(r))
    elif isinstance(exc, HttpResponseError):
        text = "blob service HTTP {}: {}".format(exc.status_code, (exc.message or str(exc)).splitlines()[0])
    elif isinstance(exc, AzureError):
        text = "blob service: {}".format(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    elif isinstance(exc, AssertionError):
        text = str(exc) or "assertion failed at " + traceback.extract_tb(exc.__traceback__)[-1].line
    else:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        text = "{}: {} (at {}:{})".format(type(exc).__name__, exc, os.path.basename(frame.filename),
                                          frame.lineno)
    return " ".join(text.split())
