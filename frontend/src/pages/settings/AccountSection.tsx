import { useState } from "react";
import { useNavigate } from "react-router";

import { useChangePassword, useMe } from "../../api/auth";
import { ApiError } from "../../api/client";
import { Button } from "../../components/Button";
import { ErrorBanner } from "../../components/ErrorBanner";
import { TextField } from "../../components/Field";
import { NewPasswordFields, useNewPassword } from "../../components/NewPasswordFields";

/** Change your own password; every session of yours ends, so you log in again. */
export function AccountSection() {
  const me = useMe();
  const change = useChangePassword();
  const navigate = useNavigate();
  const [current, setCurrent] = useState("");
  const next = useNewPassword();
  const fields = change.error instanceof ApiError ? change.error.fieldErrors : {};

  const onSubmit = (event: React.SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!next.confirmed()) return;
    change.mutate(
      { current_password: current, new_password: next.value },
      {
        onSuccess: () =>
          void navigate("/login", {
            replace: true,
            state: { notice: "Password changed. Log in with your new password." },
          }),
      },
    );
  };

  return (
    <section className="section" aria-labelledby="account-heading">
      <h2 id="account-heading">Your account{me.data ? `: ${me.data.username}` : ""}</h2>
      <form className="form" onSubmit={onSubmit} aria-label="Change password">
        <p className="muted">Changing your password ends all your sessions, this one included.</p>
        {change.isError && <ErrorBanner title="The password was not changed" error={change.error} />}
        <TextField
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={current}
          error={fields.current_password}
          onChange={(event) => setCurrent(event.target.value)}
        />
        <NewPasswordFields
          password={next}
          label="New password"
          hint="At least 12 characters."
          error={fields.new_password}
        />
        <div className="row">
          <Button type="submit" variant="primary" busy={change.isPending} disabled={!current || !next.filled}>
            Change password
          </Button>
        </div>
      </form>
    </section>
  );
}
