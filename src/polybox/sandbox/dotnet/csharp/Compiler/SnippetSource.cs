using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Polybox.Compiler;

/// <summary>
/// Turns snippet text into the program that is compiled: statements are moved before type
/// declarations (what CS8803 asks for), keeping the original line numbers with #line, and a bare
/// expression at the end is printed, as a REPL would.
/// </summary>
internal static class SnippetSource
{
    public const string FileName = "Program.cs";
    public const string ShowMethod = "global::PolyboxSnippet.Show";

    /// <summary>Statements first, then the declarations that preceded them, lines unchanged.</summary>
    public static SyntaxTree Reorder(SyntaxTree tree, CSharpParseOptions options)
    {
        var root = (CompilationUnitSyntax)tree.GetRoot();
        SyntaxList<MemberDeclarationSyntax> members = root.Members;
        int firstDeclaration = IndexOf(members, m => m is not GlobalStatementSyntax);
        int lastStatement = LastIndexOf(members, m => m is GlobalStatementSyntax);
        bool fileScoped = members.Any(m => m is FileScopedNamespaceDeclarationSyntax);
        if (firstDeclaration < 0 || lastStatement < firstDeclaration || fileScoped)
        {
            return tree;
        }
        string text = tree.GetText().ToString();
        var builder = new StringBuilder(text[..members[0].FullSpan.Start]);
        IEnumerable<MemberDeclarationSyntax> ordered = members
            .Where(m => m is GlobalStatementSyntax)
            .Concat(members.Where(m => m is not GlobalStatementSyntax));
        foreach (MemberDeclarationSyntax member in ordered)
        {
            if (builder.Length > 0 && builder[^1] != '\n')
            {
                builder.Append('\n');
            }
            int line = tree.GetLineSpan(member.FullSpan).StartLinePosition.Line + 1;
            builder.Append($"#line {line} \"{FileName}\"\n");
            builder.Append(member.ToFullString());
        }
        if (builder[^1] != '\n')
        {
            builder.Append('\n');
        }
        builder.Append("#line default\n");
        builder.Append(text[members[^1].FullSpan.End..]);
        return CSharpSyntaxTree.ParseText(builder.ToString(), options, FileName, Encoding.UTF8);
    }

    /// <summary>The last statement when it is an expression without its semicolon.</summary>
    public static ExpressionStatementSyntax? TrailingExpression(SyntaxTree tree)
    {
        var root = (CompilationUnitSyntax)tree.GetRoot();
        GlobalStatementSyntax? last = root.Members.OfType<GlobalStatementSyntax>().LastOrDefault();
        return last?.Statement is ExpressionStatementSyntax { SemicolonToken.IsMissing: true } statement
            ? statement
            : null;
    }

    /// <summary>
    /// The tree with its trailing expression printed (when it has a value) or just terminated
    /// (a void call); the expression keeps its line and column.
    /// </summary>
    public static SyntaxTree CompleteTrailingExpression(
        SyntaxTree tree, ExpressionStatementSyntax statement, bool hasValue, CSharpParseOptions options)
    {
        string text = tree.GetText().ToString();
        TextSpan span = statement.Expression.Span;
        string expression = text[span.Start..span.End];
        string replacement = hasValue ? $"{ShowMethod}({expression});" : $"{expression};";
        string rewritten = text[..span.Start] + replacement + text[span.End..];
        return CSharpSyntaxTree.ParseText(rewritten, options, tree.FilePath, Encoding.UTF8);
    }

    private static int IndexOf(SyntaxList<MemberDeclarationSyntax> members, Func<MemberDeclarationSyntax, bool> test)
    {
        for (int i = 0; i < members.Count; i++)
        {
            if (test(members[i]))
            {
                return i;
            }
        }
        return -1;
    }

    private static int LastIndexOf(SyntaxList<MemberDeclarationSyntax> members, Func<MemberDeclarationSyntax, bool> test)
    {
        for (int i = members.Count - 1; i >= 0; i--)
        {
            if (test(members[i]))
            {
                return i;
            }
        }
        return -1;
    }
}
