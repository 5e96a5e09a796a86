"""corelane's stand-in for the two `fastapi` names plugins use, where FastAPI is not
installed: `HTTPException` (a hook's rejection with its status) and `Request` (custom auth's
first argument)."""


class HTTPException(Exception):
    def __init__(self, status_code, detail=None, headers=None):
        self.status_code = status_code
        self.detail = detail
        self.headers = headers
        super().__init__(status_code, detail)

    def __str__(self):
        return f"{self.status_code}: {self.detail}"


class Request:
    """The request custom auth sees: its method, URL path, headers and JSON body."""

    def __init__(self, method="GET", path="/", headers=None, body=b"", query=""):
        self.method = method
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}
        self._body = body
        self.url = _URL(path, query)
        self.query_params = dict(
            p.split("=", 1) if "=" in p else (p, "") for p in query.split("&") if p
        )

    async def body(self):
        return self._body

    async def json(self):
        import json

        return json.loads(self._body or b"null")


class _URL:
    def __init__(self, path, query):
        self.path = path
        self.query = query

    def __str__(self):
        return self.path + ("?" + self.query if self.query else "")


