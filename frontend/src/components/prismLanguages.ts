/** Languages prism-react-renderer does not bundle, from prismjs itself: C# for .NET workspaces. */
import "./prismGlobal";
import "prismjs/components/prism-csharp";
