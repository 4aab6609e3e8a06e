import { useServerPower } from "../../api/servers";
import type { ServerOut } from "../../api/types";
import { Button } from "../../components/Button";
import { ErrorBanner } from "../../components/ErrorBanner";

/**
 * Start or stop the server, in its page header (every tab): a stopped server's tools are hidden
 * from clients until it starts.
 */
export function PowerButton({ server }: { server: ServerOut }) {
  const power = useServerPower(server.name);
  const running = server.status === "running";
  return (
    <div className="stack">
      <Button
        variant={running ? "secondary" : "primary"}
        busy={power.isPending}
        title={running ? "Clients see and call this server's approved tools." : "Clients see none of this server's tools until it is started."}
        onClick={() => power.mutate(running ? "stop" : "start")}
      >
        {running ? "Stop server" : "Start server"}
      </Button>
      {power.isError && <ErrorBanner error={power.error} />}
    </div>
  );
}
