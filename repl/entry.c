/*
 * entry.c -- gathering typed (or piped) lines into one entry, the unit the REPL evaluates.
 *
 * The parser decides: lang_is_complete() says whether the text so far is complete, needs
 * more (an open bracket, an unfinished block) or is hopeless. On top of that we apply
 * Python's REPL rule for compound statements (if/while/for/def/...): the entry ends at a
 * blank line, so a block can have as many body lines as the user types. One friendliness
 * beyond Python: a non-indented line after a finished block starts the next entry instead of
 * being a syntax error, so a script pasted (or piped) without blank lines still runs.
 */
#include <stdlib.h>
#include <string.h>

#include "repl/repl_internal.h"

/* First words that open a compound statement (its entry ends at a blank line). */
static const char *const block_words[] = {"if", "while", "for", "def", "class", "with", "try",
                                          NULL};
/* First words that continue the compound statement above them. */
static const char *const continue_words[] = {"elif", "else", "except", "finally", NULL};

void repl_entry_init(repl_entry *e)
{
    memset(e, 0, sizeof *e);
}

void repl_entry_free(repl_entry *e)
{
    free(e->text);
    memset(e, 0, sizeof *e);
}

/* Empties the entry but keeps its buffer. */
void repl_entry_reset(repl_entry *e)
{
    e->len = 0;
    if (e->text) e->text[0] = '\0';
    e->lines = 0;
    e->indent[0] = '\0';
}

static int is_blank(const char *s)
{
    s += strspn(s, " \t\r");
    return *s == '\0';
}

/* Only spaces and newlines? */
static int is_blank_text(const char *s)
{
    s += strspn(s, " \t\r\n");
    return *s == '\0';
}

/* Does `s` start with the word `w` (followed by something that is not part of a name)? */
static int starts_with_word(const char *s, const char *w)
{
    size_t n = strlen(w);
    if (strncmp(s, w, n) != 0) return 0;
    char c = s[n];
    return !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c >= '0' && c <= '9'));
}

static int starts_with_any(const char *s, const char *const *words)
{
    s += strspn(s, " \t");
    for (; *words; words++)
        if (starts_with_word(s, *words)) return 1;
    return 0;
}

static int is_block_entry(const repl_entry *e)
{
    return e->len > 0 && (starts_with_any(e->text, block_words) || e->text[0] == '@');
}

/* The leading whitespace of `line` into indent[64]. */
static void copy_indent(char *indent, const char *line)
{
    size_t n = strspn(line, " \t");
    if (n > 63) n = 63;
    memcpy(indent, line, n);
    indent[n] = '\0';
}

/* Appends `s` and a newline. Returns 0, or -1 when out of memory (entry unchanged). */
static int append_line(repl_entry *e, const char *s)
{
    size_t n = strlen(s);
    if (e->len + n + 2 > e->cap) {
        size_t cap = e->cap ? e->cap : 256;
        while (cap < e->len + n + 2) cap *= 2;
        char *p = realloc(e->text, cap);
        if (!p) return -1;
        e->text = p;
        e->cap = cap;
    }
    memcpy(e->text + e->len, s, n);
    e->len += n;
    e->text[e->len++] = '\n';
    e->text[e->len] = '\0';
    e->lines++;
    return 0;
}

/* Would the entry be complete if it ended here? True for a finished block: the text plus a
 * blank line parses. An open bracket or an empty block body still needs more. */
static int would_close_here(const repl_entry *e)
{
    size_t n = e->len;
    char *t = malloc(n + 2);
    if (!t) return 0;
    memcpy(t, e->text, n);
    t[n] = '\n';
    t[n + 1] = '\0';
    lang_status st = lang_is_complete(t, NULL);
    free(t);
    return st == LANG_OK;
}

/* A non-indented, non-comment line that does not continue the statement above: after a
 * finished block it begins the next entry. */
static int starts_new_statement(const char *line)
{
    if (line[0] == ' ' || line[0] == '\t' || line[0] == '#' || is_blank(line)) return 0;
    if (strchr(")]}", line[0])) return 0;
    return !starts_with_any(line, continue_words);
}

repl_entry_state repl_entry_add(repl_entry *e, const char *line)
{
    if (e->lines > 0 && is_block_entry(e) && starts_new_statement(line) && would_close_here(e))
        return REPL_ENTRY_SPLIT;
    int blank = is_blank(line);
    if (append_line(e, blank ? "" : line) != 0) return REPL_ENTRY_INVALID;
    if (e->lines == 1 && blank) return REPL_ENTRY_COMPLETE;   /* nothing typed: nothing to do */
    e->indent[0] = '\0';
    lang_status st = lang_is_complete(e->text, e->indent);
    /* lang_is_complete() also waits after any indented last line, which is right for a block
     * but not for a simple statement whose bracket continuation is aligned ("x = [1,\n
     * 2]"): that one is complete as soon as it parses. */
    if (st == LANG_ERR_INCOMPLETE && !is_block_entry(e) && would_close_here(e))
        return REPL_ENTRY_COMPLETE;
    if (st == LANG_ERR_INCOMPLETE) return REPL_ENTRY_MORE;
    if (st != LANG_OK) return REPL_ENTRY_INVALID;
    /* Complete as far as the parser goes; a block still waits for its blank line. */
    if (is_block_entry(e) && !blank) {
        if (e->indent[0] == '\0') copy_indent(e->indent, line);
        return REPL_ENTRY_MORE;
    }
    return REPL_ENTRY_COMPLETE;
}

int repl_entry_is_blank(const repl_entry *e)
{
    return e->len == 0 || is_blank_text(e->text);
}
