// The snippet launcher: runs a compiled snippet on the runtime this self-contained app carries.
//
// Usage: Polybox.Runner <snippet.dll> [<assets file>]
// The first line of stderr, written before any snippet code runs, is
// "polybox-runtime: <RuntimeInformation.FrameworkDescription>", so the snippet cannot forge it.
// The assets file lists the runtime files (managed and native) of the snippet's packages.

using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace Polybox.Runner;

internal static class Program
{
    internal const string RuntimeMarker = "polybox-runtime: ";

    private static int Main(string[] args)
    {
        using (Stream stderr = Console.OpenStandardError())
        {
            byte[] line = System.Text.Encoding.UTF8.GetBytes(
                RuntimeMarker + RuntimeInformation.FrameworkDescription + "\n");
            stderr.Write(line);
        }
        if (args.Length is < 1 or > 2)
        {
            Console.Error.WriteLine("usage: Polybox.Runner <snippet.dll> [<assets file>]");
            return 2;
        }
        if (args.Length == 2)
        {
            AssetResolver.Install(File.ReadAllLines(args[1]));
        }
        Assembly snippet = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.GetFullPath(args[0]));
        MethodInfo entry = snippet.EntryPoint
            ?? throw new InvalidOperationException("the snippet has no entry point");
        int exitCode = EntryPoint.Invoke(entry);
        Console.Out.Flush();
        return exitCode;
    }
}

/// <summary>
/// Calls a program's entry point through a delegate, not MethodInfo.Invoke: an exception it leaves
/// unhandled reaches the runtime as from any program's Main, with no reflection frames in its
/// stack trace.
/// </summary>
internal static class EntryPoint
{
    public static int Invoke(MethodInfo entry)
    {
        string[] args = [];
        bool takesArgs = entry.GetParameters().Length == 1;
        Type returns = entry.ReturnType;
        if (returns == typeof(int))
        {
            return takesArgs ? entry.CreateDelegate<Func<string[], int>>()(args) : entry.CreateDelegate<Func<int>>()();
        }
        if (returns == typeof(Task<int>))
        {
            Task<int> task = takesArgs ? entry.CreateDelegate<Func<string[], Task<int>>>()(args) : entry.CreateDelegate<Func<Task<int>>>()();
            return task.GetAwaiter().GetResult();
        }
        if (returns == typeof(Task))
        {
            Task task = takesArgs ? entry.CreateDelegate<Func<string[], Task>>()(args) : entry.CreateDelegate<Func<Task>>()();
            task.GetAwaiter().GetResult();
            return Environment.ExitCode;
        }
        if (takesArgs)
        {
            entry.CreateDelegate<Action<string[]>>()(args);
        }
        else
        {
            entry.CreateDelegate<Action>()();
        }
        return Environment.ExitCode;
    }
}

/// <summary>Finds a package's assemblies and native libraries by file name.</summary>
internal static class AssetResolver
{
    public static void Install(IEnumerable<string> paths)
    {
        var managed = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var native = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string path in paths.Where(p => p.Length > 0))
        {
            string name = Path.GetFileName(path);
            if (name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            {
                managed[Path.GetFileNameWithoutExtension(name)] = path;
            }
            else
            {
                native[name] = path;
            }
        }
        AssemblyLoadContext.Default.Resolving += (context, name) =>
            name.Name is not null && managed.TryGetValue(name.Name, out string? path)
                ? context.LoadFromAssemblyPath(path)
                : null;
        AssemblyLoadContext.Default.ResolvingUnmanagedDll += (_, name) =>
        {
            foreach (string candidate in new[] { name, $"{name}.so", $"lib{name}.so" })
            {
                if (native.TryGetValue(candidate, out string? path))
                {
                    return NativeLibrary.Load(path);
                }
            }
            return IntPtr.Zero;
        };
    }
}
