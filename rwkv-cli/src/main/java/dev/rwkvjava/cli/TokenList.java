package dev.rwkvjava.cli;

import picocli.CommandLine;

/** Token ids given on the command line as "34,105,110". */
record TokenList(int[] ids) {

    /** Parses "34,105,110" (or "[34, 105, 110]"). */
    static final class Converter implements CommandLine.ITypeConverter<TokenList> {
        @Override
        public TokenList convert(String value) {
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
                    throw new CommandLine.TypeConversionException("'" + parts[i]
                            + "' is not a token id (expected e.g. 34,105,110)");
                }
            }
            return new TokenList(ids);
        }
    }
}
