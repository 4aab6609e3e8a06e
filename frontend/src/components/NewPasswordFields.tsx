import { useState } from "react";

import { TextField } from "./Field";

/** A new password typed twice. `confirmed()` says, before a submit, whether both agree. */
export interface NewPassword {
  value: string;
  repeat: string;
  mismatch: boolean;
  setValue: (value: string) => void;
  setRepeat: (value: string) => void;
  /** Both fields filled in. */
  filled: boolean;
  /** Whether the two agree; a disagreement is shown under the repeat field until the next check. */
  confirmed: () => boolean;
}

export function useNewPassword(): NewPassword {
  const [value, setValue] = useState("");
  const [repeat, setRepeat] = useState("");
  const [mismatch, setMismatch] = useState(false);
  return {
    value,
    repeat,
    mismatch,
    setValue,
    setRepeat,
    filled: value !== "" && repeat !== "",
    confirmed: () => {
      setMismatch(value !== repeat);
      return value === repeat;
    },
  };
}

interface NewPasswordFieldsProps {
  password: NewPassword;
  label: string;
  hint: string;
  /** The API's complaint about the password, if any. */
  error?: string | null;
}

/** The password field and its repeat, for setup and password changes. */
export function NewPasswordFields({ password, label, hint, error }: NewPasswordFieldsProps) {
  return (
    <>
      <TextField
        label={label}
        name="password"
        type="password"
        autoComplete="new-password"
        required
        hint={hint}
        value={password.value}
        error={error}
        onChange={(event) => password.setValue(event.target.value)}
      />
      <TextField
        label={`Repeat ${label.toLowerCase()}`}
        name="repeat"
        type="password"
        autoComplete="new-password"
        required
        value={password.repeat}
        error={password.mismatch ? "The two passwords differ." : null}
        onChange={(event) => password.setRepeat(event.target.value)}
      />
    </>
  );
}
