package dev.rwkvjava.cli;

import picocli.CommandLine;

/** Parses "34,105,110" into token ids. */
final class TokenList implements CommandLine.ITypeConverter<int[]> {
    @Override
    public int[] convert(String value) {
        String v = value.trim();
        if (v.startsWith("[") && v.endsWith("]")) {
            v = v.substring(1, v.length() - 1);
        }
        if (v.isBlank()) {
            throw new CommandLine.TypeConversionException("empty token list");
        }
        String[] parts = v.split("[,\\s]+");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + parts[i] + "' is not a token id (expected e.g. 34,105,110)");
            }
        }
        return ids;
    }
}
