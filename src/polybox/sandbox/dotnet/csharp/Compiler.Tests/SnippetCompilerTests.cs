using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis.CSharp;

namespace Polybox.Compiler.Tests;

public sealed class SnippetCompilerTests
{
    // The test host's own framework assemblies stand in for a version's reference assemblies.
    private static readonly SnippetCompiler Compiler = new(
        LanguageVersion.CSharp14,
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path).StartsWith("System.", StringComparison.Ordinal)
                || Path.GetFileName(path) is "mscorlib.dll" or "netstandard.dll"));

    private static string Run(string code)
    {
        CompileOutcome outcome = Compiler.Compile(code, []);
        Assert.True(outcome.Assembly is not null, string.Join("\n", outcome.Diagnostics));
        var context = new AssemblyLoadContext("snippet", isCollectible: true);
        Assembly assembly = context.LoadFromStream(new MemoryStream(outcome.Assembly));
        TextWriter original = Console.Out;
        var output = new StringWriter();
        try
        {
            Console.SetOut(output);
            MethodInfo entry = assembly.EntryPoint!;
            entry.Invoke(null, entry.GetParameters().Length == 0 ? [] : [Array.Empty<string>()]);
        }
        finally
        {
            Console.SetOut(original);
            context.Unload();
        }
        return output.ToString();
    }

    [Fact]
    public void A_trailing_expression_is_printed()
    {
        Assert.Equal("3\n", Run("var x = 1;\nx + 2"));
    }

    [Fact]
    public void A_trailing_collection_is_printed_as_a_list()
    {
        Assert.Equal("[2, 4, 6]\n", Run("new[] { 1, 2, 3 }.Select(x => x * 2)"));
    }

    [Fact]
    public void A_trailing_void_call_runs_once_and_prints_nothing_more()
    {
        Assert.Equal("hi\n", Run("Console.WriteLine(\"hi\")"));
    }

    [Fact]
    public void Statements_after_type_declarations_are_moved_before_them()
    {
        Assert.Equal("4\n", Run("class A { public int V => 4; }\nConsole.WriteLine(new A().V);"));
    }

    [Fact]
    public void Reordered_code_reports_errors_on_their_original_lines()
    {
        CompileOutcome outcome = Compiler.Compile("class A { }\n\nint x = \"s\";\n", []);
        DiagnosticInfo error = Assert.Single(outcome.Diagnostics, d => d.Severity == "error");
        Assert.Equal(("CS0029", 3, 9, "Program.cs"), (error.Code, error.Line, error.Column, error.File));
        Assert.Null(outcome.Assembly);
    }

    [Fact]
    public void A_full_program_with_main_compiles()
    {
        Assert.Equal("main\n", Run("static class P { static void Main() => System.Console.WriteLine(\"main\"); }"));
    }

    [Fact]
    public void An_unknown_type_is_cs0246_with_its_position()
    {
        CompileOutcome outcome = Compiler.Compile("var x = new Nope();", []);
        DiagnosticInfo error = Assert.Single(outcome.Diagnostics);
        Assert.Equal(("CS0246", 1, 13), (error.Code, error.Line, error.Column));
    }
}
