import { useState } from "react";
import { useLocation, useNavigate, useSearchParams } from "react-router";

import { useLogin } from "../../api/auth";
import { ApiError } from "../../api/client";
import { Button } from "../../components/Button";
import { ErrorBanner, SuccessBanner } from "../../components/ErrorBanner";
import { TextField } from "../../components/Field";
import { AuthLayout } from "./AuthLayout";

/** Only same-app paths are followed after login (never another origin). */
export function safeNext(next: string | null): string {
  return next?.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function LoginPage() {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const login = useLogin();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const notice = (useLocation().state as { notice?: string } | null)?.notice;

  const onSubmit = (event: React.SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    login.mutate(
      { username: username.trim(), password },
      { onSuccess: () => void navigate(safeNext(params.get("next")), { replace: true }) },
    );
  };

  const fields = login.error instanceof ApiError ? login.error.fieldErrors : {};
  return (
    <AuthLayout title="Log in" intro={<p>Sign in to govern the tools your LLMs build.</p>}>
      <form className="form" onSubmit={onSubmit} noValidate>
        {notice && !login.isError && <SuccessBanner>{notice}</SuccessBanner>}
        {login.isError && <ErrorBanner error={login.error} />}
        <TextField
          label="Username"
          name="username"
          autoComplete="username"
          required
          value={username}
          error={fields.username}
          onChange={(event) => setUsername(event.target.value)}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          error={fields.password}
          onChange={(event) => setPassword(event.target.value)}
        />
        <Button type="submit" variant="primary" busy={login.isPending} disabled={!username || !password}>
          Log in
        </Button>
      </form>
    </AuthLayout>
  );
}
