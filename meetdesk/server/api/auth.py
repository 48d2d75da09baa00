"""``/internal-api/v1/auth`` and ``/users``: admin login, tokens, the API key, the admin's password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from meetdesk.core.errors import BadRequest, Unauthorized
from meetdesk.core.ids import new_api_key
from meetdesk.core.models import ChangePasswordRequest, LoginRequest, now_ms
from meetdesk.server.auth import ACCESS_TTL_S, REFRESH_TTL_S, hash_password_off_loop, verify_password_off_loop
from meetdesk.server.security import ADMIN, EXPENSIVE, Caller, context

router = APIRouter(prefix="/internal-api/v1", tags=["Auth"])
Admin = Annotated[Caller, Depends(ADMIN)]


@router.post("/auth/login", summary="Log in as an admin")
async def login(request: Request, body: LoginRequest) -> JSONResponse:
    ctx = context(request)
    # Counted before the password is checked, with no await in between: of a burst of concurrent guesses
    # only the first five are checked. Per address only, so a burst never locks the admin out elsewhere.
    address = ctx.limits.address(request)
    attempt = ctx.limits.login.hit(address)
    user = await ctx.accounts.user(body.username)
    valid = await verify_password_off_loop(body.password, user.password_hash if user else None)
    if user is None or not valid:
        raise Unauthorized("Invalid username or password", error="Login Error")
    ctx.limits.login.forgive(address, attempt)  # only failures count
    access, _ = ctx.tokens.issue("access", user.username, ACCESS_TTL_S, roles=user.roles)
    refresh, _ = ctx.tokens.issue("refresh", user.username, REFRESH_TTL_S)
    return JSONResponse(
        {"message": f"User '{user.username}' logged in", "accessToken": access, "refreshToken": refresh}
    )


@router.post("/auth/refresh", summary="Get a new access token with a refresh token")
async def refresh(
    request: Request, x_refresh_token: Annotated[str | None, Header(max_length=4000)] = None
) -> JSONResponse:
    ctx = context(request)
    if not x_refresh_token:
        raise BadRequest("No refresh token provided")
    try:
        claims = ctx.tokens.decode(x_refresh_token, "refresh")
    except Unauthorized as exc:
        raise BadRequest("Invalid refresh token") from exc
    user = await ctx.accounts.user(str(claims.get("sub")))
    if user is None or not user.issued_token_valid(int(claims.get("iat_ms", 0))):
        raise BadRequest("Invalid refresh token")
    if await ctx.accounts.is_revoked(str(claims.get("jti"))):
        raise BadRequest("Invalid refresh token")
    access, _ = ctx.tokens.issue("access", user.username, ACCESS_TTL_S, roles=user.roles)
    return JSONResponse({"message": "Token refreshed", "accessToken": access})


@router.post("/auth/logout", summary="Log out: the tokens presented stop working")
async def logout(
    request: Request, x_refresh_token: Annotated[str | None, Header(max_length=4000)] = None
) -> JSONResponse:
    ctx = context(request)
    presented: list[tuple[str, str]] = []
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        presented.append((authorization[7:].strip(), "access"))
    if x_refresh_token:
        presented.append((x_refresh_token, "refresh"))
    for token, typ in presented:
        try:
            claims = ctx.tokens.decode(token, typ)
        except Unauthorized:
            continue  # an expired or foreign token is already useless
        await ctx.accounts.revoke(str(claims["jti"]), int(claims["exp"]) * 1000, now_ms())
    return JSONResponse({"message": "Logout successful"})


@router.get("/auth/api-keys", summary="Whether an API key exists: its creation date and last characters")
async def get_api_keys(request: Request, _caller: Admin) -> JSONResponse:
    keys = await context(request).accounts.api_keys()
    # the key itself is stored only as a hash: it is shown once, in the answer that creates it
    return JSONResponse([{"apiKeyHint": k.hint, "creationDate": k.creation_date} for k in keys])


@router.post(
    "/auth/api-keys",
    status_code=201,
    summary="Create an API key (revokes the previous one); shown only now",
)
async def create_api_key(request: Request, _caller: Admin) -> JSONResponse:
    api_key = new_api_key()
    record = await context(request).accounts.replace_api_key(api_key, now_ms())
    return JSONResponse(
        {"apiKey": api_key, "apiKeyHint": record.hint, "creationDate": record.creation_date}, status_code=201
    )


@router.delete("/auth/api-keys", summary="Revoke the API key")
async def delete_api_keys(request: Request, _caller: Admin) -> JSONResponse:
    await context(request).accounts.delete_api_keys()
    return JSONResponse({"message": "API keys deleted"})


@router.get("/users/profile", summary="The logged-in admin")
async def profile(request: Request, caller: Admin) -> JSONResponse:
    user = await context(request).accounts.user(str(caller.username))
    assert user is not None  # ADMIN checked it exists
    return JSONResponse({"username": user.username, "roles": user.roles})


@router.post("/users/change-password", dependencies=[EXPENSIVE], summary="Change the logged-in admin's password")
async def change_password(request: Request, caller: Admin, body: ChangePasswordRequest) -> JSONResponse:
    ctx = context(request)
    user = await ctx.accounts.user(str(caller.username))
    if user is None or not await verify_password_off_loop(body.currentPassword, user.password_hash):
        raise BadRequest("Invalid current password")
    await ctx.accounts.set_password_hash(user.username, await hash_password_off_loop(body.newPassword))
    return JSONResponse({"message": "Password changed successfully: log in again with the new password"})
