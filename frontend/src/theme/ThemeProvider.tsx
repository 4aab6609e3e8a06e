import { createContext, useContext, useEffect, useMemo, useState } from "react";

import { applyTheme, resolveTheme, storedPreference, THEME_KEY, type Theme, type ThemePreference } from "./theme";

interface ThemeState {
  preference: ThemePreference;
  theme: Theme;
  setPreference: (preference: ThemePreference) => void;
}

const ThemeContext = createContext<ThemeState | null>(null);

export function ThemeProvider({ children }: { children: React.ReactNode }) {
  const [preference, setPreference] = useState<ThemePreference>(storedPreference);
  const [theme, setTheme] = useState<Theme>(() => resolveTheme(preference));

  useEffect(() => {
    const media = globalThis.matchMedia("(prefers-color-scheme: dark)");
    const update = () => setTheme(resolveTheme(preference));
    update();
    if (preference === "system") localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, preference);
    media.addEventListener("change", update);
    return () => media.removeEventListener("change", update);
  }, [preference]);

  useEffect(() => applyTheme(theme), [theme]);

  const state = useMemo(() => ({ preference, theme, setPreference }), [preference, theme]);
  return <ThemeContext.Provider value={state}>{children}</ThemeContext.Provider>;
}

/** The theme preference, the theme in effect and a setter. */
export function useTheme(): ThemeState {
  const state = useContext(ThemeContext);
  if (!state) throw new Error("useTheme must be used inside ThemeProvider");
  return state;
}
