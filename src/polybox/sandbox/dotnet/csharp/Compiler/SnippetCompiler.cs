using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Emit;

namespace Polybox.Compiler;

/// <summary>One diagnostic as polybox reports it (1-based line and column).</summary>
internal sealed record DiagnosticInfo(
    string File, int Line, int Column, string Code, string Severity, string Message);

/// <summary>What a compile produced: the assembly (null on errors) and every diagnostic.</summary>
internal sealed record CompileOutcome(byte[]? Assembly, IReadOnlyList<DiagnosticInfo> Diagnostics);

/// <summary>
/// Compiles snippets in memory against one .NET version's reference assemblies (plus a
/// snippet's package references). Reference metadata is loaded once and kept: package folders
/// are immutable per name and version, so a path always means the same file.
/// </summary>
internal sealed class SnippetCompiler
{
    // What `dotnet new console` imports implicitly.
    private const string GlobalUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    // How a trailing expression is printed: collections as [a, b], null as "null".
    private const string ShowHelper = """
        #nullable enable
        internal static class PolyboxSnippet
        {
            public static void Show<T>(T value) => global::System.Console.WriteLine(Format(value));

            private static string Format(object? value) => value switch
            {
                null => "null",
                string text => text,
                global::System.Collections.IEnumerable items =>
                    "[" + string.Join(", ", global::System.Linq.Enumerable.Select(
                        global::System.Linq.Enumerable.Cast<object?>(items), Format)) + "]",
                _ => value.ToString() ?? "",
            };
        }
        """;

    private readonly CSharpParseOptions _parseOptions;
    private readonly CSharpCompilationOptions _options;
    private readonly ImmutableArray<MetadataReference> _framework;
    private readonly ImmutableArray<SyntaxTree> _support;
    private readonly ConcurrentDictionary<string, MetadataReference> _packages = new(StringComparer.Ordinal);

    public SnippetCompiler(LanguageVersion languageVersion, IEnumerable<string> frameworkReferences)
    {
        _parseOptions = new CSharpParseOptions(languageVersion);
        _options = new CSharpCompilationOptions(
            OutputKind.ConsoleApplication,
            optimizationLevel: OptimizationLevel.Release,
            nullableContextOptions: NullableContextOptions.Enable,
            allowUnsafe: true,
            deterministic: true);
        _framework = [.. frameworkReferences.Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))];
        _support =
        [
            CSharpSyntaxTree.ParseText(GlobalUsings, _parseOptions, "GlobalUsings.g.cs", System.Text.Encoding.UTF8),
            CSharpSyntaxTree.ParseText(ShowHelper, _parseOptions, "PolyboxSnippet.g.cs", System.Text.Encoding.UTF8),
        ];
    }

    public CompileOutcome Compile(string code, IEnumerable<string> packageReferences)
    {
        ImmutableArray<MetadataReference> references = _framework.AddRange(
            packageReferences.Select(path => _packages.GetOrAdd(path, p => MetadataReference.CreateFromFile(p))));
        SyntaxTree program = SnippetSource.Reorder(
            CSharpSyntaxTree.ParseText(code, _parseOptions, SnippetSource.FileName, System.Text.Encoding.UTF8),
            _parseOptions);
        CSharpCompilation compilation = Create(program, references);
        ExpressionStatementSyntax? trailing = SnippetSource.TrailingExpression(program);
        if (trailing is not null)
        {
            ITypeSymbol? type = compilation.GetSemanticModel(program).GetTypeInfo(trailing.Expression).Type;
            bool hasValue = type is not null && type.SpecialType != SpecialType.System_Void;
            program = SnippetSource.CompleteTrailingExpression(program, trailing, hasValue, _parseOptions);
            compilation = Create(program, references);
        }
        using var stream = new MemoryStream();
        EmitResult result = compilation.Emit(
            stream,
            options: new EmitOptions(debugInformationFormat: DebugInformationFormat.Embedded));
        DiagnosticInfo[] diagnostics = [.. result.Diagnostics
            .Where(d => d.Severity >= DiagnosticSeverity.Warning)
            .OrderBy(d => d.Location.GetMappedLineSpan().StartLinePosition.Line)
            .Select(Describe)];
        return new CompileOutcome(result.Success ? stream.ToArray() : null, diagnostics);
    }

    private CSharpCompilation Create(SyntaxTree program, ImmutableArray<MetadataReference> references) =>
        CSharpCompilation.Create("Snippet", [program, .. _support], references, _options);

    private static DiagnosticInfo Describe(Diagnostic diagnostic)
    {
        FileLinePositionSpan span = diagnostic.Location.GetMappedLineSpan();
        return new DiagnosticInfo(
            span.IsValid ? span.Path : "",
            span.IsValid ? span.StartLinePosition.Line + 1 : 0,
            span.IsValid ? span.StartLinePosition.Character + 1 : 0,
            diagnostic.Id,
            diagnostic.Severity == DiagnosticSeverity.Error ? "error" : "warning",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }
}
