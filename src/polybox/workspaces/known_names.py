"""Where well-known .NET names live, for suggestions that name the fix.

The types a console program lacks without a `using` (beyond the implicit usings: System,
System.IO, System.Collections.Generic, System.Linq, System.Net.Http, System.Threading,
System.Threading.Tasks), the types and extension methods of popular NuGet packages, and the
members common types have (to offer the closest one for a misspelt name).
"""

from __future__ import annotations

# Types outside the implicit usings of a console program, and the `using` that brings them in.
NAMESPACES: dict[str, str] = {
    **dict.fromkeys(["StringBuilder", "Encoding", "Rune"], "System.Text"),
    **dict.fromkeys(
        ["Regex", "Match", "MatchCollection", "RegexOptions"], "System.Text.RegularExpressions"
    ),
    **dict.fromkeys(
        [
            "JsonSerializer",
            "JsonSerializerOptions",
            "JsonDocument",
            "JsonElement",
            "JsonNamingPolicy",
        ],
        "System.Text.Json",
    ),
    **dict.fromkeys(["JsonNode", "JsonObject", "JsonArray", "JsonValue"], "System.Text.Json.Nodes"),
    **dict.fromkeys(
        ["JsonPropertyName", "JsonIgnore", "JsonConverter"], "System.Text.Json.Serialization"
    ),
    **dict.fromkeys(["Stopwatch", "Process", "Debug", "Trace", "Activity"], "System.Diagnostics"),
    **dict.fromkeys(
        [
            "ConcurrentDictionary",
            "ConcurrentQueue",
            "ConcurrentBag",
            "ConcurrentStack",
            "BlockingCollection",
        ],
        "System.Collections.Concurrent",
    ),
    **dict.fromkeys(
        ["ImmutableArray", "ImmutableList", "ImmutableDictionary", "ImmutableHashSet"],
        "System.Collections.Immutable",
    ),
    **dict.fromkeys(["FrozenDictionary", "FrozenSet"], "System.Collections.Frozen"),
    **dict.fromkeys(
        ["BigInteger", "Complex", "Vector2", "Vector3", "Vector4", "Matrix4x4", "BitOperations"],
        "System.Numerics",
    ),
    **dict.fromkeys(
        ["CultureInfo", "NumberStyles", "DateTimeStyles", "CompareInfo"], "System.Globalization"
    ),
    **dict.fromkeys(["Channel", "ChannelReader", "ChannelWriter"], "System.Threading.Channels"),
    **dict.fromkeys(
        ["RuntimeInformation", "Marshal", "MemoryMarshal", "CollectionsMarshal", "DllImport"],
        "System.Runtime.InteropServices",
    ),
    **dict.fromkeys(
        ["Unsafe", "CallerMemberName", "MethodImpl"], "System.Runtime.CompilerServices"
    ),
    **dict.fromkeys(["ArrayPool", "SearchValues"], "System.Buffers"),
    **dict.fromkeys(["Expression", "ParameterExpression"], "System.Linq.Expressions"),
    **dict.fromkeys(["XDocument", "XElement", "XAttribute"], "System.Xml.Linq"),
    **dict.fromkeys(["XmlDocument", "XmlReader", "XmlWriter"], "System.Xml"),
    **dict.fromkeys(
        ["SHA256", "SHA1", "MD5", "HMACSHA256", "RandomNumberGenerator", "Aes", "RSA"],
        "System.Security.Cryptography",
    ),
    **dict.fromkeys(["IPAddress", "WebUtility", "Dns", "IPEndPoint"], "System.Net"),
    **dict.fromkeys(["Socket", "TcpClient", "TcpListener", "UdpClient"], "System.Net.Sockets"),
    **dict.fromkeys(["HttpUtility"], "System.Web"),
    **dict.fromkeys(["DataTable", "DataSet", "DataRow"], "System.Data"),
    **dict.fromkeys(
        ["Assembly", "BindingFlags", "MethodInfo", "PropertyInfo"], "System.Reflection"
    ),
    **dict.fromkeys(["Timer"], "System.Timers"),
    **dict.fromkeys(
        ["ZipFile", "ZipArchive", "GZipStream", "BrotliStream"], "System.IO.Compression"
    ),
    **dict.fromkeys(["Pipe", "PipeReader", "PipeWriter"], "System.IO.Pipelines"),
    **dict.fromkeys(
        ["ValidationContext", "Required", "Range"], "System.ComponentModel.DataAnnotations"
    ),
}

# Types from well-known NuGet packages: the package to add and the namespace to use.
PACKAGES: dict[str, tuple[str, str]] = {
    **dict.fromkeys(["JsonConvert"], ("Newtonsoft.Json", "Newtonsoft.Json")),
    **dict.fromkeys(["JObject", "JArray", "JToken"], ("Newtonsoft.Json", "Newtonsoft.Json.Linq")),
    **dict.fromkeys(["AnsiConsole", "Table", "Markup"], ("Spectre.Console", "Spectre.Console")),
    **dict.fromkeys(["Faker"], ("Bogus", "Bogus")),
    **dict.fromkeys(["LoggerConfiguration"], ("Serilog", "Serilog")),
    **dict.fromkeys(
        ["SerializerBuilder", "DeserializerBuilder"], ("YamlDotNet", "YamlDotNet.Serialization")
    ),
    **dict.fromkeys(["CsvReader", "CsvWriter"], ("CsvHelper", "CsvHelper")),
    **dict.fromkeys(["Policy", "ResiliencePipelineBuilder"], ("Polly", "Polly")),
    **dict.fromkeys(["AbstractValidator"], ("FluentValidation", "FluentValidation")),
    **dict.fromkeys(
        ["ServiceCollection"],
        ("Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.DependencyInjection"),
    ),
    **dict.fromkeys(["SqliteConnection"], ("Microsoft.Data.Sqlite", "Microsoft.Data.Sqlite")),
    **dict.fromkeys(["BenchmarkRunner"], ("BenchmarkDotNet", "BenchmarkDotNet.Running")),
}

# Extension methods of well-known packages: the package and the namespace to use.
EXTENSIONS: dict[str, tuple[str, str]] = {
    **dict.fromkeys(
        ["Humanize", "Dehumanize", "ToWords", "Pascalize", "Camelize"], ("Humanizer", "Humanizer")
    ),
    **dict.fromkeys(["Should"], ("FluentAssertions", "FluentAssertions")),
}

# Members the common types have, to offer the closest one for a misspelt name.
COMMON_MEMBERS = (
    "Length",
    "Count",
    "Add",
    "AddRange",
    "Remove",
    "RemoveAt",
    "Clear",
    "Contains",
    "ContainsKey",
    "TryGetValue",
    "Insert",
    "IndexOf",
    "ToString",
    "ToUpper",
    "ToLower",
    "Trim",
    "Split",
    "Substring",
    "Replace",
    "StartsWith",
    "EndsWith",
    "Join",
    "Format",
    "Parse",
    "TryParse",
    "Equals",
    "GetHashCode",
    "GetType",
    "CompareTo",
    "WriteLine",
    "Write",
    "ReadLine",
    "Keys",
    "Values",
    "Where",
    "Select",
    "OrderBy",
    "OrderByDescending",
    "First",
    "FirstOrDefault",
    "Last",
    "Single",
    "Any",
    "All",
    "Sum",
    "Max",
    "Min",
    "Average",
    "ToList",
    "ToArray",
    "ToDictionary",
    "GroupBy",
    "Distinct",
    "Skip",
    "Take",
    "Aggregate",
    "Reverse",
    "Sort",
    "Append",
    "Concat",
    "Zip",
    "Chunk",
    "Now",
    "Today",
    "UtcNow",
    "Year",
    "Month",
    "Day",
    "Hour",
    "Minute",
    "Second",
    "AddDays",
)
