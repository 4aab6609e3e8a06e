import type { ApiTokenCreated } from "../../api/types";
import { CopyBlock } from "../../components/CopyBlock";

/** A just-created token, shown this once with a copy button. */
export function NewTokenNotice({ created }: { created: ApiTokenCreated }) {
  return (
    <div className="banner banner-success new-token" role="status">
      <div className="stack">
        <p>
          Token <strong>{created.api_token.name}</strong> created. Copy it now: polybox shows it only once and cannot
          show it again.
        </p>
        <CopyBlock text={created.token} label="API token" variant="inline" />
      </div>
    </div>
  );
}
