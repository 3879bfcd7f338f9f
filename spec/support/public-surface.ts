import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/*
 * The package's public surface, read from the sources with the TypeScript
 * compiler: every export of the three entry points (`katzenpost-rx`,
 * `/sim`, `/testing`) and, for classes and interfaces, every public member
 * with its declared type and doc comment. The naming and error-delivery
 * spec (spec/client/bad-arguments.spec.ts) and the doc-comment guard
 * (spec/guards/documented-names.spec.ts) both walk it, so a method added
 * anywhere in the public API is checked without being listed by hand.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ENTRY_POINTS = ['src/index.ts', 'src/sim/index.ts', 'src/testing/index.ts'] as const;

/** What a member or function gives back, as far as the conventions care. */
export type Returns = 'observable' | 'promise' | 'other';

/** What the conventions look at in a function or a member. */
export interface SurfaceItem {
  readonly name: string;
  /** For functions and methods: what a call returns; for properties: what the property holds. */
  readonly returns: Returns;
  /** The doc comment's text, tags included (`@example` code too). */
  readonly doc: string;
  /** Property names of the `options` parameter's type, if there is one. */
  readonly optionNames: readonly string[] | null;
  /** The parameter names (none for properties). */
  readonly parameterNames: readonly string[];
  /** Where it is declared, `src/…:line`. */
  readonly at: string;
}

/** One public member (method, property, accessor) of an exported class or interface. */
export interface SurfaceMember extends SurfaceItem {
  /** `ThinClient`, `Outbox`, `SimulatorHandle` … */
  readonly owner: string;
  readonly ownerKind: 'class' | 'interface';
  readonly kind: 'method' | 'property';
  readonly isStatic: boolean;
  readonly deprecated: boolean;
}

/** One exported function. */
export type SurfaceFunction = SurfaceItem;

/** An exported interface or type alias with a doc comment (options types, results, events). */
export interface SurfaceType {
  readonly name: string;
  /** The type's property names (all of them, inherited included). */
  readonly propertyNames: readonly string[];
  /** The type's own doc and its properties' docs, each with where it is. */
  readonly docs: readonly { readonly doc: string; readonly at: string }[];
}

export interface PublicSurface {
  readonly members: readonly SurfaceMember[];
  readonly functions: readonly SurfaceFunction[];
  readonly types: readonly SurfaceType[];
  /** Every exported name. */
  readonly exportNames: ReadonlySet<string>;
  /** Every name declared anywhere in src/ (identifiers, properties, parameters). */
  readonly declaredNames: ReadonlySet<string>;
}

let cached: PublicSurface | undefined;

/** The public surface (built once per spec file: about two seconds). */
export function publicSurface(): PublicSurface {
  cached ??= readSurface();
  return cached;
}

function readSurface(): PublicSurface {
  const configPath = path.join(root, 'tsconfig.build.json');
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!config) throw new Error('cannot read tsconfig.build.json');
  const program = ts.createProgram({ rootNames: ENTRY_POINTS.map((entry) => path.join(root, entry)), options: { ...config.options, noEmit: true } });
  const checker = program.getTypeChecker();

  const members: SurfaceMember[] = [];
  const functions: SurfaceFunction[] = [];
  const types: SurfaceType[] = [];
  const exportNames = new Set<string>();
  const seen = new Set<ts.Symbol>();

  const where = (node: ts.Node): string => {
    const file = node.getSourceFile();
    return `${path.relative(root, file.fileName)}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  };
  const returnsOf = (type: ts.Type): Returns => {
    const name = (type.aliasSymbol ?? type.getSymbol())?.getName();
    if (name === 'Observable') return 'observable';
    if (name === 'Promise') return 'promise';
    return 'other';
  };
  const docOf = (symbol: ts.Symbol, declaration: ts.Node): string =>
    ts
      .getJSDocCommentsAndTags(declaration)
      .map((node) => node.getText())
      .join('\n') || ts.displayPartsToString(symbol.getDocumentationComment(checker));
  const optionNamesOf = (signature: ts.Signature | undefined): string[] | null => {
    const options = signature?.getParameters().find((parameter) => parameter.getName() === 'options');
    if (!options) return null;
    const type = checker.getNonNullableType(checker.getTypeOfSymbol(options));
    return checker.getPropertiesOfType(type).map((property) => property.getName());
  };

  const parameterNamesOf = (signature: ts.Signature | undefined): string[] => signature?.getParameters().map((parameter) => parameter.getName()) ?? [];

  const addMembers = (owner: string, ownerKind: 'class' | 'interface', type: ts.Type, isStatic: boolean): void => {
    for (const property of checker.getPropertiesOfType(type)) {
      const declaration = property.valueDeclaration ?? property.declarations?.[0];
      if (!declaration || !declaration.getSourceFile().fileName.startsWith(path.join(root, 'src'))) continue;
      const modifiers = ts.getCombinedModifierFlags(declaration as ts.Declaration);
      if (modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
      const name = property.getName();
      if (name.startsWith('__@') || name === 'prototype') continue; // symbol-keyed (inspect hooks)
      const doc = docOf(property, declaration);
      if (/@internal\b/.test(doc)) continue;
      const propertyType = checker.getTypeOfSymbolAtLocation(property, declaration);
      const isMethod = ts.isMethodDeclaration(declaration) || ts.isMethodSignature(declaration);
      const signature = isMethod ? propertyType.getCallSignatures()[0] : undefined;
      members.push({
        owner,
        ownerKind,
        name,
        kind: isMethod ? 'method' : 'property',
        isStatic,
        returns: signature ? returnsOf(signature.getReturnType()) : returnsOf(propertyType),
        doc,
        deprecated: /@deprecated\b/.test(doc),
        optionNames: optionNamesOf(signature),
        parameterNames: parameterNamesOf(signature),
        at: where(declaration),
      });
    }
  };

  for (const entry of ENTRY_POINTS) {
    const source = program.getSourceFile(path.join(root, entry));
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) throw new Error(`no module symbol for ${entry}`);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      exportNames.add(exported.getName());
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (seen.has(symbol)) continue;
      seen.add(symbol);
      const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0];
      if (!declaration) continue;
      if (symbol.flags & ts.SymbolFlags.Class) {
        addMembers(symbol.getName(), 'class', checker.getDeclaredTypeOfSymbol(symbol), false);
        addMembers(symbol.getName(), 'class', checker.getTypeOfSymbolAtLocation(symbol, declaration), true);
      } else if (symbol.flags & ts.SymbolFlags.Interface) {
        const type = checker.getDeclaredTypeOfSymbol(symbol);
        addMembers(symbol.getName(), 'interface', type, false);
        types.push(typeEntry(symbol, type));
      } else if (symbol.flags & ts.SymbolFlags.TypeAlias) {
        types.push(typeEntry(symbol, checker.getDeclaredTypeOfSymbol(symbol)));
      } else if (symbol.flags & ts.SymbolFlags.Function) {
        const signature = checker.getTypeOfSymbolAtLocation(symbol, declaration).getCallSignatures()[0];
        functions.push({
          name: symbol.getName(),
          returns: signature ? returnsOf(signature.getReturnType()) : 'other',
          doc: docOf(symbol, declaration),
          optionNames: optionNamesOf(signature),
          parameterNames: parameterNamesOf(signature),
          at: where(declaration),
        });
      }
    }
  }

  function typeEntry(symbol: ts.Symbol, type: ts.Type): SurfaceType {
    const declaration = symbol.declarations![0]!;
    const properties = type.isUnion() ? type.types.flatMap((t) => checker.getPropertiesOfType(t)) : checker.getPropertiesOfType(type);
    const docs = [{ doc: docOf(symbol, declaration), at: where(declaration) }];
    for (const property of properties) {
      const declared = property.valueDeclaration ?? property.declarations?.[0];
      if (declared && declared.getSourceFile().fileName.startsWith(path.join(root, 'src'))) docs.push({ doc: docOf(property, declared), at: where(declared) });
    }
    return { name: symbol.getName(), propertyNames: [...new Set(properties.map((p) => p.getName()))], docs };
  }

  const declaredNames = new Set<string>();
  for (const file of program.getSourceFiles()) {
    if (!file.fileName.startsWith(path.join(root, 'src'))) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) declaredNames.add(node.text);
      else if (ts.isStringLiteral(node)) declaredNames.add(node.text);
      ts.forEachChild(node, visit);
    };
    visit(file);
  }

  return { members, functions, types, exportNames, declaredNames };
}
