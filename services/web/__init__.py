"""The HTTP edge: the app (``app``), the one table from typed errors to RFC 9457 problems (``problems``),
and what ``/openapi.json`` declares (``openapi``, ``models``)."""
