import { useState } from "react";
import { useNavigate } from "react-router";

import { useSetup } from "../../api/auth";
import { ApiError } from "../../api/client";
import { Button } from "../../components/Button";
import { ErrorBanner } from "../../components/ErrorBanner";
import { TextField } from "../../components/Field";
import { NewPasswordFields, useNewPassword } from "../../components/NewPasswordFields";
import { AuthLayout } from "./AuthLayout";

/** First run: create the first admin (only possible while none exists), then you are logged in. */
export function SetupPage() {
  const [username, setUsername] = useState("");
  const password = useNewPassword();
  const setup = useSetup();
  const navigate = useNavigate();

  const onSubmit = (event: React.SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!password.confirmed()) return;
    setup.mutate({ username: username.trim(), password: password.value }, { onSuccess: () => void navigate("/", { replace: true }) });
  };

  const fields = setup.error instanceof ApiError ? setup.error.fieldErrors : {};
  return (
    <AuthLayout
      title="Welcome to polybox"
      intro={<p>Create the first admin account. You can add more admins later in Settings.</p>}
    >
      <form className="form" onSubmit={onSubmit} noValidate>
        {setup.isError && <ErrorBanner error={setup.error} />}
        <TextField
          label="Username"
          name="username"
          autoComplete="username"
          required
          hint="Lowercase letters, digits, '.', '_' or '-', starting with a letter."
          value={username}
          error={fields.username}
          onChange={(event) => setUsername(event.target.value)}
        />
        <NewPasswordFields
          password={password}
          label="Password"
          hint="At least 12 characters; a passphrase of a few words works well."
          error={fields.password}
        />
        <Button type="submit" variant="primary" busy={setup.isPending} disabled={!username || !password.filled}>
          Create admin
        </Button>
      </form>
    </AuthLayout>
  );
}
