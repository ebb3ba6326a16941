"""API authentication: bearer tokens for API clients, the session for the browser."""

from ninja.security import HttpBearer, django_auth

from gongzhi.core.services import authenticate_token


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user


AUTH = [TokenAuth(), django_auth]
