#include <string>
#include <vector>

long long evaluate_rpn(std::vector<std::string> tokens) {
    std::vector<long long> stack;
    for (const std::string& token : tokens) {
        if (token == "+" || token == "-" || token == "*" || token == "/") {
            long long right = stack.back();
            stack.pop_back();
            long long left = stack.back();
            stack.pop_back();
            switch (token[0]) {
                case '+': stack.push_back(left + right); break;
                case '-': stack.push_back(left - right); break;
                case '*': stack.push_back(left * right); break;
                default: stack.push_back(left / right); break;  // C++ division truncates toward zero
            }
        } else {
            stack.push_back(std::stoll(token));
        }
    }
    return stack.back();
}
