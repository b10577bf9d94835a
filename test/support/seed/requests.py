"""The few calls of the `requests` package that the seed client uses, over
urllib, so the seed runs unchanged on a machine without PyPI."""
import json as _json
import urllib.error
import urllib.parse
import urllib.request


class Response:
    def __init__(self, status_code, text):
        self.status_code = status_code
        self.text = text

    def json(self):
        return _json.loads(self.text)


def _send(method, url, params=None, json=None, headers=None):
    if params:
        url = f"{url}?{urllib.parse.urlencode(params)}"
    data = None
    headers = dict(headers or {})
    if json is not None:
        data = _json.dumps(json).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return Response(answer.status, answer.read().decode())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.read().decode())


def post(url, json=None, headers=None):
    return _send("POST", url, json=json, headers=headers)


def get(url, params=None, headers=None):
    return _send("GET", url, params=params, headers=headers)
