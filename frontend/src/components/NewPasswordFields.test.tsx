import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { NewPasswordFields, useNewPassword } from "./NewPasswordFields";

function Form({ onSubmit }: { onSubmit: (password: string) => void }) {
  const password = useNewPassword();
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        if (password.confirmed()) onSubmit(password.value);
      }}
    >
      <NewPasswordFields password={password} label="New password" hint="At least 12 characters." />
      <button type="submit" disabled={!password.filled}>
        Save
      </button>
    </form>
  );
}

describe("NewPasswordFields", () => {
  it("refuses two different passwords and submits once they agree", async () => {
    const onSubmit = vi.fn();
    render(<Form onSubmit={onSubmit} />);
    const save = screen.getByRole("button", { name: "Save" });
    expect(save).toBeDisabled();

    await userEvent.type(screen.getByLabelText("New password"), "correct horse battery");
    await userEvent.type(screen.getByLabelText("Repeat new password"), "correct horse battery!");
    await userEvent.click(save);
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByText("The two passwords differ.")).toBeInTheDocument();

    await userEvent.type(screen.getByLabelText("Repeat new password"), "{Backspace}");
    await userEvent.click(save);
    expect(onSubmit).toHaveBeenCalledWith("correct horse battery");
    expect(screen.queryByText("The two passwords differ.")).not.toBeInTheDocument();
  });
});
