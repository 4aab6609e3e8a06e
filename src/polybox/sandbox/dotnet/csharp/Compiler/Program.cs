// The compile server's loop: one JSON request per line on stdin, one JSON answer per line on
// stdout. Usage: Polybox.Compiler <C# language version> <file listing reference assemblies>
//
// Request: {"code": "...", "references": ["/nuget/x/1.0.0/lib/net8.0/X.dll"]}
// Answer:  {"assembly": "<base64>" | null, "diagnostics": [...], "workingSet": <bytes>}
//          or {"error": "..."} when the request itself is unusable.
// The first line written is {"ready": true, "workingSet": <bytes>}, after a warm-up compile.

using System.Text.Json;
using Microsoft.CodeAnalysis.CSharp;
using Polybox.Compiler;

if (args.Length != 2 || !LanguageVersionFacts.TryParse(args[0], out LanguageVersion version))
{
    Console.Error.WriteLine("usage: Polybox.Compiler <C# language version> <references file>");
    return 2;
}
string[] frameworkReferences = [.. File.ReadAllLines(args[1]).Where(line => line.Length > 0)];
var compiler = new SnippetCompiler(version, frameworkReferences);
compiler.Compile("System.Console.WriteLine(1 + 1)", []);
using var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
output.WriteLine(Protocol.Ready());
while (Console.In.ReadLine() is { } line)
{
    output.WriteLine(Protocol.Answer(compiler, line));
}
return 0;

namespace Polybox.Compiler
{
    /// <summary>The JSON lines spoken with polybox (see the top of Program.cs).</summary>
    internal static class Protocol
    {
        private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

        private sealed record Request(string Code, string[]? References);

        private sealed record Reply(string? Assembly, IReadOnlyList<DiagnosticInfo> Diagnostics, long WorkingSet);

        public static string Ready() =>
            JsonSerializer.Serialize(new { ready = true, workingSet = Environment.WorkingSet }, Json);

        public static string Answer(SnippetCompiler compiler, string line)
        {
            try
            {
                Request request = JsonSerializer.Deserialize<Request>(line, Json)
                    ?? throw new JsonException("empty request");
                CompileOutcome outcome = compiler.Compile(request.Code, request.References ?? []);
                string? assembly = outcome.Assembly is null ? null : Convert.ToBase64String(outcome.Assembly);
                return JsonSerializer.Serialize(new Reply(assembly, outcome.Diagnostics, Environment.WorkingSet), Json);
            }
            catch (Exception exc) when (exc is JsonException or IOException or ArgumentException or BadImageFormatException)
            {
                return JsonSerializer.Serialize(new { error = exc.Message, workingSet = Environment.WorkingSet }, Json);
            }
        }
    }
}
