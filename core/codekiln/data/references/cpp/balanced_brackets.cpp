#include <string>
#include <vector>

bool balanced_brackets(std::string text) {
    std::vector<char> stack;
    for (char ch : text) {
        if (ch == '(' || ch == '[' || ch == '{') {
            stack.push_back(ch);
        } else if (ch == ')' || ch == ']' || ch == '}') {
            char opening = ch == ')' ? '(' : ch == ']' ? '[' : '{';
            if (stack.empty() || stack.back() != opening) return false;
            stack.pop_back();
        }
    }
    return stack.empty();
}
