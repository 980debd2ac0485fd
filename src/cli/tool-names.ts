/**
 * The first words of the one-shot tools (`tool-argv.ts`), apart from their code: `cli.ts` needs
 * the names to hand argv over, and loads the tools themselves only when one is asked for.
 */
export const TOOL_COMMANDS: readonly string[] = ['discover', 'send', 'decode'];
