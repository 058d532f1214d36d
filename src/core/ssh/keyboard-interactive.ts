// keyboard-interactive authentication: the server sends rounds of prompts (a password, a one-time
// code, "Verification code:", ...) with an echo flag each. Only a prompt that asks for THE
// password is answered with the account password, and only once; every other prompt (and a
// repeated password prompt) is shown to the user as the server worded it. No vscode import.

export interface KeyboardInteractivePrompt {
  prompt: string;
  /** The server allows showing what is typed (e.g. a user name); false = hide it like a password. */
  echo: boolean;
}

export interface KeyboardInteractiveQuestion {
  user: string;
  host: string;
  /** The round's name and instructions, as the server sent them (often empty). */
  name: string;
  instructions: string;
  prompts: KeyboardInteractivePrompt[];
}

/**
 * Is this the account password prompt? PAM's pam_unix asks "Password: ", others
 * "user@host's password: " or "Password for user: ". Anything else that merely mentions a
 * password ("One-time password (OATH) for ...", "New password:") is not.
 */
export function isPasswordPrompt(p: KeyboardInteractivePrompt): boolean {
  if (p.echo) return false;
  const s = p.prompt.trim();
  return /^password:?$/i.test(s) || /^password for [^\s:]+:?$/i.test(s) || /^[^\s:]+'s password:?$/i.test(s);
}

/** The server's text without control characters (a prompt must not drive the terminal it is shown on). */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}

/** Answers one round: the password for the first password prompt of the session, the user for the rest. */
export class KeyboardInteractiveAnswerer {
  private passwordUsed = false;

  constructor(
    private readonly user: string,
    private readonly host: string,
    /** The account password (asked once per connection); undefined = not available. */
    private readonly password: () => Promise<string | undefined>,
    /** Shows prompts to the user; undefined = declined. */
    private readonly ask: (q: KeyboardInteractiveQuestion) => Promise<string[] | undefined>,
  ) {}

  /** The answers in prompt order, or undefined when the user declined. */
  async answer(name: string, instructions: string, prompts: KeyboardInteractivePrompt[]): Promise<string[] | undefined> {
    const answers: Array<string | undefined> = prompts.map(() => undefined);
    const forUser: number[] = [];
    for (let i = 0; i < prompts.length; i++) {
      if (!this.passwordUsed && isPasswordPrompt(prompts[i])) {
        this.passwordUsed = true;
        const pw = await this.password();
        if (pw === undefined) return undefined;
        answers[i] = pw;
      } else forUser.push(i);
    }
    if (forUser.length) {
      const shown = forUser.map((i) => ({ prompt: printable(prompts[i].prompt), echo: prompts[i].echo }));
      const got = await this.ask({ user: this.user, host: this.host, name: printable(name), instructions: printable(instructions), prompts: shown });
      if (!got || got.length !== forUser.length) return undefined;
      forUser.forEach((i, k) => (answers[i] = got[k]));
    }
    return answers as string[];
  }
}
