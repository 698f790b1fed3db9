"""Who may do what. A request is made by an authenticated principal — an upstream system with an API key,
or a person signed in through the organisation's OpenID Connect provider — holding grants of roles scoped to
units, sources and cases. ``principals`` is the model, ``keys`` the API keys, ``registry`` the principals as
the ledger records them, ``oidc`` the token validation, ``policy`` the decisions, ``confidential`` what only
some may see."""
