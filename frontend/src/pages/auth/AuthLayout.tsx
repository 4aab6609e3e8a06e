/** The centred card of the pages one sees without a session (setup, login). */
export function AuthLayout({ title, intro, children }: { title: string; intro: React.ReactNode; children: React.ReactNode }) {
  return (
    <main id="main" className="auth-page">
      <div className="auth-card">
        <p className="brand auth-brand">
          <img src="/favicon.svg" alt="" width={28} height={28} />
          polybox
        </p>
        <h1>{title}</h1>
        <div className="auth-intro">{intro}</div>
        {children}
      </div>
    </main>
  );
}
