import { useId } from "react";

import { Input, type InputProps, Select, type SelectProps } from "./Input";

/** What Field hands its control: wire these onto the input so label, hint and error are announced. */
export interface FieldControlProps {
  id: string;
  "aria-invalid": boolean | undefined;
  "aria-describedby": string | undefined;
}

export interface FieldProps {
  label: React.ReactNode;
  /** Shown under the control in the error colour and announced with it. */
  error?: string | null | undefined;
  hint?: React.ReactNode;
  className?: string;
  children: (control: FieldControlProps) => React.ReactNode;
}

/** A labelled form control with an optional hint and error. */
export function Field({ label, error, hint, className, children }: FieldProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;
  return (
    <div className={["field", className].filter(Boolean).join(" ")}>
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {children({ id, "aria-invalid": error ? true : undefined, "aria-describedby": describedBy })}
      {hint && (
        <p className="field-hint" id={hintId}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      )}
    </div>
  );
}

export interface TextFieldProps extends Omit<InputProps, "id"> {
  label: React.ReactNode;
  error?: string | null | undefined;
  hint?: React.ReactNode;
}

/** Field + Input. */
export function TextField({ label, error, hint, ...input }: TextFieldProps) {
  return (
    <Field label={label} error={error} hint={hint}>
      {(control) => <Input {...input} {...control} />}
    </Field>
  );
}

export interface SelectFieldProps extends Omit<SelectProps, "id"> {
  label: React.ReactNode;
  error?: string | null | undefined;
  hint?: React.ReactNode;
}

/** Field + Select. */
export function SelectField({ label, error, hint, ...select }: SelectFieldProps) {
  return (
    <Field label={label} error={error} hint={hint}>
      {(control) => <Select {...select} {...control} />}
    </Field>
  );
}
